import Testing

@testable import API

@Suite struct OptionalWhitespaceTests {
    @Test func spacesAndTabsAtEitherEndGoAndNothingElse() {
        #expect(Substring(" \t abc \t ").trimmingOptionalWhitespace() == "abc")
        #expect(Substring("a b").trimmingOptionalWhitespace() == "a b")
        #expect(Substring(" \t ").trimmingOptionalWhitespace() == "")
        #expect(Substring("").trimmingOptionalWhitespace() == "")
        // Not HTTP whitespace: a no-break space, a line feed.
        #expect(Substring("\u{00A0}x\n").trimmingOptionalWhitespace() == "\u{00A0}x\n")
        #expect(Substring(" é ").trimmingOptionalWhitespace() == "é")
    }

    @Test func bearerTokensAreTakenFromTheirHeader() {
        #expect(BearerTokenMiddleware.bearerToken("Bearer abc") == "abc")
        #expect(BearerTokenMiddleware.bearerToken("bearer   abc\t") == "abc")
        #expect(BearerTokenMiddleware.bearerToken("Bearer \t") == nil)
        #expect(BearerTokenMiddleware.bearerToken("Basic abc") == nil)
        #expect(BearerTokenMiddleware.bearerToken("Bearer") == nil)
    }
}
