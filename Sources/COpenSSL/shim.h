#ifndef CREDITCHAIN_COPENSSL_SHIM_H
#define CREDITCHAIN_COPENSSL_SHIM_H
/* SHA256_Init/Update/Final are marked deprecated in OpenSSL 3 in favour of EVP, which allocates a
   context per digest; the state tree hashes millions of short inputs, so it uses them (below). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/kdf.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/bn.h>
#include <limits.h>
#include <string.h>

/*
 * Glue for ChainCrypto's GM suite. These helpers only sequence OpenSSL 3 EVP calls (which Swift
 * cannot reach directly: variadic functions, macros, OSSL_PARAM arrays, BIO plumbing); every
 * cipher mode, hash and curve operation stays inside libcrypto. Each returns 1 on success and 0
 * on failure, leaving the reason on OpenSSL's error queue (read it with cc_take_error).
 */

/* The earliest queued OpenSSL error as text, then an empty queue; "" when there was none. */
static inline void cc_take_error(char *buf, size_t len) {
    unsigned long e = ERR_peek_error();
    if (len > 0) buf[0] = 0;
    if (e != 0 && len > 0) ERR_error_string_n(e, buf, len);
    ERR_clear_error();
}

/* A non-NULL pointer for zero-length inputs (Swift may pass NULL for an empty array). */
static inline const unsigned char *cc_nonnull(const unsigned char *p) {
    static const unsigned char zero = 0;
    return p != NULL ? p : &zero;
}

/* ---- Hashing ------------------------------------------------------------------------------- */

/* SHA-256 of head || tail into out[32], with the context on the stack (no allocation). */
static inline void cc_sha256(const unsigned char *head, size_t head_len, const unsigned char *tail,
                             size_t tail_len, unsigned char *out) {
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, cc_nonnull(head), head_len);
    SHA256_Update(&c, cc_nonnull(tail), tail_len);
    SHA256_Final(out, &c);
}

/* ---- Keys ---------------------------------------------------------------------------------- */

/* A fresh SM2 key pair (EVP_PKEY_SM2, so it signs SM2 and not ECDSA on the SM2 curve). */
static inline EVP_PKEY *cc_sm2_generate(void) {
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0) pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* An SM2 public key from its uncompressed point 04||x||y; OpenSSL rejects points off the curve. */
static inline EVP_PKEY *cc_sm2_public_key(const unsigned char *pub, size_t len) {
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"SM2", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)cc_nonnull(pub), len);
    params[2] = OSSL_PARAM_construct_end();
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

/* The encoded public key (04||x||y for SM2, 32 raw bytes for X25519/Ed25519). */
static inline int cc_pkey_public_octets(const EVP_PKEY *pkey, unsigned char *out, size_t cap, size_t *len) {
    return EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, out, cap, len) > 0;
}

/* Refuses to prompt on a terminal for the password of an encrypted PEM file. */
static inline int cc_no_password(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

/* A private key from PEM text (PKCS#8 or a traditional format); NULL when it is not one. */
static inline EVP_PKEY *cc_private_key_from_pem(const char *pem, size_t len) {
    if (len > INT_MAX) return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, cc_no_password, NULL) : NULL;
    BIO_free(bio);
    return pkey;
}

/* A public key from PEM SubjectPublicKeyInfo text; NULL when it is not one. */
static inline EVP_PKEY *cc_public_key_from_pem(const char *pem, size_t len) {
    if (len > INT_MAX) return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, cc_no_password, NULL) : NULL;
    BIO_free(bio);
    return pkey;
}

/* PEM text of the key: unencrypted PKCS#8 (private = 1) or SubjectPublicKeyInfo (private = 0).
   Returns a memory BIO holding the text (read it with cc_bio_contents, free it with BIO_free). */
static inline BIO *cc_key_to_pem(EVP_PKEY *pkey, int private_key) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return NULL;
    int ok = private_key ? PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PUBKEY(bio, pkey);
    if (ok <= 0) {
        BIO_free(bio);
        return NULL;
    }
    return bio;
}

static inline long cc_bio_contents(BIO *bio, const char **data) {
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    *data = p;
    return n;
}

/* ---- SM2 signatures (SM3 digest over Z(ID, key) || message) -------------------------------- */

/* The distinguishing ID is set on the key context before EVP_DigestSignInit: without it OpenSSL 3.0
   hashes an empty ID and the signature does not interoperate. */
static inline int cc_sm2_sign(EVP_PKEY *pkey, const EVP_MD *sm3, const unsigned char *id, size_t id_len,
                              const unsigned char *msg, size_t msg_len, unsigned char *sig, size_t *sig_len) {
    int ok = 0;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (mctx != NULL && pctx != NULL && id_len <= INT_MAX
        && EVP_PKEY_CTX_set1_id(pctx, cc_nonnull(id), (int)id_len) > 0) {
        EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
        ok = EVP_DigestSignInit(mctx, NULL, sm3, NULL, pkey) > 0
            && EVP_DigestSign(mctx, sig, sig_len, cc_nonnull(msg), msg_len) > 0;
    }
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

/* 1 when the DER signature is valid, 0 otherwise (including malformed input). */
static inline int cc_sm2_verify(EVP_PKEY *pkey, const EVP_MD *sm3, const unsigned char *id, size_t id_len,
                                const unsigned char *msg, size_t msg_len, const unsigned char *sig,
                                size_t sig_len) {
    int ok = 0;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (mctx != NULL && pctx != NULL && id_len <= INT_MAX
        && EVP_PKEY_CTX_set1_id(pctx, cc_nonnull(id), (int)id_len) > 0) {
        EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
        ok = EVP_DigestVerifyInit(mctx, NULL, sm3, NULL, pkey) > 0
            && EVP_DigestVerify(mctx, cc_nonnull(sig), sig_len, cc_nonnull(msg), msg_len) == 1;
    }
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    return ok;
}

/* DER SEQUENCE{r, s} -> r||s (32 + 32 bytes); 0 on malformed DER, trailing bytes or oversize values. */
static inline int cc_sig_der_to_raw(const unsigned char *der, size_t len, unsigned char *raw64) {
    if (len > LONG_MAX) return 0;
    const unsigned char *p = cc_nonnull(der);
    const unsigned char *start = p;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    if (sig == NULL) return 0;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(sig, &r, &s);
    int ok = (size_t)(p - start) == len && BN_bn2binpad(r, raw64, 32) == 32
        && BN_bn2binpad(s, raw64 + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok;
}

/* r||s (64 bytes) -> DER SEQUENCE{r, s}; out must hold 72 bytes. */
static inline int cc_sig_raw_to_der(const unsigned char *raw64, unsigned char *out, size_t *len) {
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw64, 32, NULL);
    BIGNUM *s = BN_bin2bn(raw64 + 32, 32, NULL);
    int ok = 0;
    if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = NULL; /* owned by sig now */
        s = NULL;
        int n = i2d_ECDSA_SIG(sig, NULL);
        if (n > 0 && n <= 72) {
            unsigned char *p = out;
            ok = i2d_ECDSA_SIG(sig, &p) == n;
            *len = (size_t)n;
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return ok;
}

/* ---- SM2 public-key encryption (GM/T 0009 DER SEQUENCE{x, y, C3, C2}) ------------------------ */

/* With out == NULL, *out_len receives the maximum output size. */
static inline int cc_pkey_encrypt(EVP_PKEY *pkey, const unsigned char *in, size_t in_len, unsigned char *out,
                                  size_t *out_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx != NULL && EVP_PKEY_encrypt_init(ctx) > 0
        && EVP_PKEY_encrypt(ctx, out, out_len, cc_nonnull(in), in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

static inline int cc_pkey_decrypt(EVP_PKEY *pkey, const unsigned char *in, size_t in_len, unsigned char *out,
                                  size_t *out_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = ctx != NULL && EVP_PKEY_decrypt_init(ctx) > 0
        && EVP_PKEY_decrypt(ctx, out, out_len, cc_nonnull(in), in_len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* ---- Symmetric primitives ------------------------------------------------------------------- */

/* One pass of a cipher without padding (SM4-CTR, SM4-ECB on whole blocks); out holds len bytes. */
static inline int cc_cipher(const EVP_CIPHER *cipher, int encrypt, const unsigned char *key,
                            const unsigned char *iv, const unsigned char *in, size_t len, unsigned char *out) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx != NULL && EVP_CipherInit_ex2(ctx, cipher, key, iv, encrypt, NULL) > 0
        && EVP_CIPHER_CTX_set_padding(ctx, 0) > 0;
    size_t done = 0;
    while (ok && done < len) {
        size_t chunk = len - done > (1u << 30) ? (1u << 30) : len - done;
        int n = 0;
        ok = EVP_CipherUpdate(ctx, out + done, &n, in + done, (int)chunk) > 0 && (size_t)n == chunk;
        done += chunk;
    }
    int final_len = 0;
    unsigned char tail[32];
    ok = ok && EVP_CipherFinal_ex(ctx, tail, &final_len) > 0 && final_len == 0;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Encrypts one 16-byte block `iterations` times in ECB mode with one context (the GB/T 32907
   1,000,000-iteration check). */
static inline int cc_block_iterate(const EVP_CIPHER *ecb, const unsigned char *key, unsigned char *block,
                                   unsigned long iterations) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx != NULL && EVP_EncryptInit_ex2(ctx, ecb, key, NULL, NULL) > 0
        && EVP_CIPHER_CTX_set_padding(ctx, 0) > 0;
    unsigned char next[16];
    for (unsigned long i = 0; ok && i < iterations; i++) {
        int n = 0;
        ok = EVP_EncryptUpdate(ctx, next, &n, block, 16) > 0 && n == 16;
        memcpy(block, next, 16);
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

static inline int cc_hmac(const EVP_MD *md, const unsigned char *key, size_t key_len, const unsigned char *msg,
                          size_t msg_len, unsigned char *out, unsigned int *out_len) {
    if (key_len > INT_MAX) return 0;
    return HMAC(md, cc_nonnull(key), (int)key_len, cc_nonnull(msg), msg_len, out, out_len) != NULL;
}

/* HKDF (RFC 5869) extract-and-expand with the named digest; an empty salt means none. */
static inline int cc_hkdf(const char *digest, const unsigned char *ikm, size_t ikm_len, const unsigned char *salt,
                          size_t salt_len, const unsigned char *info, size_t info_len, unsigned char *out,
                          size_t out_len) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    OSSL_PARAM params[5];
    int n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)cc_nonnull(ikm), ikm_len);
    if (salt_len > 0) params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len > 0) params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    params[n] = OSSL_PARAM_construct_end();
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) > 0;
    EVP_KDF_CTX_free(ctx);
    return ok;
}

#endif
