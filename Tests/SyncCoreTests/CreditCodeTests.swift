import Testing
import SyncCore

/// GB 32100-2015's 31 characters (no I, O, S, V, Z).
private let gbAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

@Suite("Unified social credit code (GB 32100-2015)")
struct CreditCodeTests {
    /// `91350100M000100Y43`, the example code used in GB 32100-2015 material, checked by hand:
    ///
    /// | char  | 9 | 1 | 3 | 5  | 0  | 1  | 0  | 0  | M=21 | 0  | 0  | 0  | 1 | 0  | 0  | Y=30 | 4  |
    /// |-------|---|---|---|----|----|----|----|----|------|----|----|----|---|----|----|------|----|
    /// | weight| 1 | 3 | 9 | 27 | 19 | 26 | 16 | 17 | 20   | 29 | 25 | 13 | 8 | 24 | 10 | 30   | 28 |
    /// | prod. | 9 | 3 | 27| 135| 0  | 26 | 0  | 0  | 420  | 0  | 0  | 0  | 8 | 0  | 0  | 900  | 112|
    ///
    /// sum = 1640; 1640 mod 31 = 28; (31 - 28) mod 31 = 3 → alphabet[3] = "3".
    /// All zeros has a correct check character ("0") but registers nobody: a placeholder.
    @Test("the all-zero code is refused as a placeholder")
    func allZeros() {
        #expect(CreditCode.checkCharacter(for: String(repeating: "0", count: 17)) == "0")
        let error = expectDomainError(field: "credit code") { _ = try CreditCode("000000000000000000") }
        #expect(error?.description.contains("placeholder") == true)
    }

    @Test("a known-valid literal, verified by hand")
    func handVerifiedLiteral() throws {
        let code = try CreditCode("91350100M000100Y43")
        #expect(code.value == "91350100M000100Y43")
        #expect(code.description == "91350100M000100Y43")
        #expect(CreditCode.checkCharacter(for: "91350100M000100Y4") == "3")
    }

    /// `914403001922038216`: 9·1 + 1·3 + 4·9 + 4·27 + 0·19 + 3·26 + 0·16 + 0·17 + 1·20 + 9·29 + 2·25
    /// + 2·13 + 0·8 + 3·24 + 8·10 + 2·30 + 1·28 = 831; 831 mod 31 = 25; 31 - 25 = 6 → "6".
    /// `91110000802100433B`: sum 485; 485 mod 31 = 20; 31 - 20 = 11 → alphabet[11] = "B".
    @Test("other known-valid literals", arguments: [
        ("914403001922038216", Character("6")),
        ("91110000802100433B", Character("B")),
    ])
    func knownLiterals(code: String, check: Character) throws {
        #expect(CreditCode.checkCharacter(for: String(code.prefix(17))) == check)
        #expect(try CreditCode(code).value == code)
    }

    @Test("codes completed with checkCharacter(for:) are valid, and no other check character is", arguments: [
        "91130200MA0CK3QR4",
        "12130200000000000",
        "5213020050601234Y",
        "93130229MA0G12345",
        "YYYYYYYYYYYYYYYYY",
    ])
    func computedCodes(prefix: String) throws {
        let check = try #require(CreditCode.checkCharacter(for: prefix))
        #expect(gbAlphabet.contains(check))
        #expect(try CreditCode(prefix + String(check)).value == prefix + String(check))
        // Exactly one of the 31 characters completes the code.
        let accepted = gbAlphabet.filter { candidate in (try? CreditCode(prefix + String(candidate))) != nil }
        #expect(accepted == [check])
    }

    @Test("check characters computed independently of the source", arguments: [
        ("91130200MA0CK3QR4", Character("A")),  // sum 2346, 2346 mod 31 = 21, 31 - 21 = 10 → A
        ("12130200000000000", Character("6")),  // sum 149, 149 mod 31 = 25, 31 - 25 = 6
        ("5213020050601234Y", Character("8")),  // sum 1449, 1449 mod 31 = 23, 31 - 23 = 8
        ("YYYYYYYYYYYYYYYYY", Character("T")),  // sum 9150, 9150 mod 31 = 5, 31 - 5 = 26 → T
    ])
    func independentCheckCharacters(prefix: String, expected: Character) {
        #expect(CreditCode.checkCharacter(for: prefix) == expected)
    }

    @Test("a wrong check character is rejected, naming the expected one")
    func wrongCheckCharacter() {
        for wrong in ["91350100M000100Y44", "91350100M000100Y40", "91350100M000100Y4Y", "914403001922038217"] {
            expectDomainError(field: "credit code", "\(wrong)") { _ = try CreditCode(wrong) }
        }
        let error = expectDomainError(field: "credit code") { _ = try CreditCode("91350100M000100Y44") }
        #expect(error?.description.contains("should be \"3\"") == true)
        // The example in the source's documentation.
        let documented = expectDomainError(field: "credit code") { _ = try CreditCode("91130200MA0CXXXX0X") }
        #expect(documented?.description.contains("should be \"P\"") == true)
    }

    @Test("the letters I, O, S, V and Z are not allowed", arguments: ["I", "O", "S", "V", "Z"])
    func forbiddenLetters(letter: String) {
        // In the body of a code that is otherwise well formed.
        let body = "91350100" + letter + "000100Y4"
        #expect(CreditCode.checkCharacter(for: body) == nil)
        for check in gbAlphabet {
            expectDomainError(field: "credit code") { _ = try CreditCode(body + String(check)) }
        }
        // As the check character, and in lower case.
        expectDomainError(field: "credit code") { _ = try CreditCode("91350100M000100Y4" + letter) }
        let lower = expectDomainError(field: "credit code") { _ = try CreditCode("91350100M000100Y4" + letter.lowercased()) }
        #expect(lower?.description.contains("not allowed") == true)
    }

    @Test("wrong lengths are rejected", arguments: [
        "91350100M000100Y4",    // 17
        "91350100M000100Y430",  // 19
        "",
        "9",
        "91350100M000100Y43 9",
    ])
    func wrongLength(text: String) {
        let error = expectDomainError(field: "credit code") { _ = try CreditCode(text) }
        #expect(error?.description.contains("18 characters") == true)
    }

    @Test("checkCharacter(for:) needs exactly 17 allowed characters")
    func checkCharacterNeeds17() {
        #expect(CreditCode.checkCharacter(for: "9135010M000100Y4") == nil)    // 16
        #expect(CreditCode.checkCharacter(for: "91350100M000100Y43") == nil)  // 18
        #expect(CreditCode.checkCharacter(for: "") == nil)
        #expect(CreditCode.checkCharacter(for: "91350100O000100Y4") == nil)
        #expect(CreditCode.checkCharacter(for: "91350100-000100Y4") == nil)
        #expect(CreditCode.checkCharacter(for: "91350100m000100y4") == "3")
    }

    @Test("lower case is accepted and normalised to upper case; surrounding spaces are ignored")
    func lowerCase() throws {
        #expect(try CreditCode("91350100m000100y43").value == "91350100M000100Y43")
        #expect(try CreditCode("91110000802100433b").value == "91110000802100433B")
        #expect(try CreditCode("  91350100M000100Y43 ").value == "91350100M000100Y43")
        #expect(try CreditCode("91350100m000100y43") == CreditCode("91350100M000100Y43"))
    }

    @Test("other characters are rejected")
    func otherCharacters() {
        for text in ["91350100M000100Y4-", "91350100M00010０Y43", "91350100M000100Y4é", "91350100M 00100Y43"] {
            expectDomainError(field: "credit code", "\(text)") { _ = try CreditCode(text) }
        }
    }

    @Test("the error names the field it was given")
    func customField() {
        expectDomainError(field: "credit-code") { _ = try CreditCode("91350100M000100Y44", field: "credit-code") }
        expectDomainError(field: "host credit code") { _ = try CreditCode("", field: "host credit code") }
    }

    /// Placeholders with a right check character: no registering authority, or no division.
    @Test func placeholderCodesWithARightCheckCharacterAreRefused() {
        for first17 in ["00000000000000001", "01130200000000001", "91000000MA0000001", "Z1130200MA0000001"] {
            guard let check = CreditCode.checkCharacter(for: first17) else { continue }
            let code = first17 + String(check)
            #expect(throws: DomainError.self, "\(code)") { _ = try CreditCode(code) }
        }
        #expect(throws: Never.self) { _ = try CreditCode("91130200" + "MA0000001" + String(CreditCode.checkCharacter(for: "91130200MA0000001")!)) }
    }

    /// One-line values hold no tab, line break or invisible character: two names that look the
    /// same are the same text.
    @Test func namesRefuseInvisibleCharactersTabsAndLineBreaks() throws {
        for name in ["唐山\u{200B}陶瓷实验室", "唐山陶瓷\u{FEFF}实验室", "唐山\u{2060}陶瓷", "唐山\u{00AD}陶瓷", "唐山\t陶瓷", "唐山\n陶瓷"] {
            #expect(throws: DomainError.self, "\(name.unicodeScalars.map { String($0.value, radix: 16) })") {
                try DomainText.checkLine(name, field: "name")
            }
        }
        try DomainText.checkLine("唐山（陶瓷）重点实验室", field: "name")
        try DomainText.check("第一行\n第二行", field: "remarks")
    }
}
