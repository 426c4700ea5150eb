import ArgumentParser
import ChainCore

/// `creditchain uscc`: tools for Unified Social Credit Codes (GB 32100-2015).
struct USCCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uscc",
        abstract: "Unified Social Credit Code (GB 32100-2015) tools.",
        subcommands: [Check.self]
    )

    /// `creditchain uscc check CODE...`: one verdict line per code; exit status 1 when any code is
    /// invalid, so scripts can gate an import on it. Warnings (a legacy organisation code) do not
    /// fail the command.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check codes: prints 'CODE valid', 'CODE valid (warning: …)' or 'CODE invalid: …'.",
            discussion: "Exits 0 only when no code is invalid."
        )

        @Argument(help: "The codes to check (18 characters each).")
        var codes: [String]

        func run() throws {
            var anyInvalid = false
            for code in codes {
                let verdict = USCC.check(code)
                if !verdict.isValid { anyInvalid = true }
                print("\(code) \(verdict)")
            }
            if anyInvalid { throw ExitCode(1) }
        }
    }
}
