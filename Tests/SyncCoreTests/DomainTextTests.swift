import SyncCore
import Testing

/// What entry refuses in a name is what a screen shows as a mark: the same three classes
/// (controls, bidirectional controls, invisible characters) decide both.
struct DomainTextTests {
    @Test func everyCharacterANameRefusesIsShownAsAMark() throws {
        let refused: [UInt32] = [0x00, 0x07, 0x1B, 0x7F, 0x85, 0x9F, 0x202A, 0x202E, 0x2066, 0x2069, 0x200E, 0x200F, 0x061C,
                                 0x00AD, 0x180E, 0x200B, 0x200D, 0x2060, 0x2064, 0xFEFF]
        for value in refused {
            let scalar = try #require(Unicode.Scalar(value))
            let name = "唐山" + String(Character(scalar)) + "实验室"
            #expect(throws: DomainError.self, "U+\(value)") { try DomainText.checkLine(name, field: "name") }
            let shown = DomainText.shown(name)
            #expect(!shown.unicodeScalars.contains(scalar) && shown.contains("⟦U+") && shown.hasPrefix("唐山") && shown.hasSuffix("实验室"), "U+\(value): \(shown)")
        }
        #expect(DomainText.shown("唐山\u{202E}室验实") == "唐山⟦U+202E⟧室验实")
        // Text that holds none of them is the same text; tabs and line breaks in remarks stay.
        for text in ["唐山焊接技术重点实验室（平台）", "备注\t一\n二\r\n三", "A·B — “C”", ""] { #expect(DomainText.shown(text) == text) }
    }
}
