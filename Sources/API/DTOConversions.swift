import ChainCore
import Ledger

// Conveniences for the node, which holds ChainCore and Ledger values: each builds the plain DTO
// the API serves, so hex encoding and field naming happen in one place.

extension ValidatorView {
    public init(_ validator: Validator) {
        self.init(member: validator.member.value, publicKey: Hex.encode(validator.publicKey))
    }
}

extension TransactionView {
    /// Admitted, not yet committed.
    public static func pending(_ hash: Hash) -> TransactionView {
        TransactionView(hash: hash.hex, status: .pending)
    }

    /// Never seen (the API answers 404 `tx.not_found`).
    public static func unknown(_ hash: Hash) -> TransactionView {
        TransactionView(hash: hash.hex, status: .unknown)
    }

    /// Committed at `height`, position `index`, with its result and inclusion proof.
    public static func committed(
        _ hash: Hash, height: Height, index: Int, result: TransactionResult, proof: InclusionProofView?
    ) -> TransactionView {
        precondition(index >= 0 && index <= Int(UInt32.max), "transaction index out of range")
        return TransactionView(
            hash: hash.hex, status: .committed, height: height.value, index: UInt32(index), result: ResultView(result),
            proof: proof)
    }
}

extension InclusionProofView {
    /// An RFC 6962 audit path from ChainCore hashes.
    public init(leafIndex: Int, treeSize: Int, path: [Hash], root: Hash) {
        precondition(leafIndex >= 0 && leafIndex < treeSize, "leaf index outside the tree")
        self.init(leafIndex: UInt64(leafIndex), treeSize: UInt64(treeSize), path: path.map(\.hex), root: root.hex)
    }
}
