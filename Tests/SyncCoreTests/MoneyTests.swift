import Foundation
import Testing
import SyncCore

@Suite("Money in fen")
struct MoneyTests {
    @Test("Fen(yuan:) parses yuan as a person types them", arguments: [
        ("100000", Int64(10_000_000)),
        ("1,250.50", 125_050),
        ("0.5", 50),
        ("0.05", 5),
        ("0", 0),
        ("12.3", 1_230),
        ("1,000,000.50", 100_000_050),
        ("999", 99_900),
        ("1,000", 100_000),
        ("12,345,678.09", 1_234_567_809),
        (" 42 ", 4_200),
        ("007", 700),
        ("999999999999999", 99_999_999_999_999_900),
    ])
    func parses(text: String, fen: Int64) throws {
        #expect(try Fen(yuan: text).rawValue == fen)
    }

    @Test("Fen(yuan:) rejects what is not yuan with at most two decimals", arguments: [
        "1.234",
        "abc",
        "1,2345",
        "-5",
        "",
        "   ",
        "1,00",
        ",100",
        "1,000,00",
        "1000,000",
        "1.",
        ".5",
        "1.2.3",
        "1 000",
        "1e5",
        "+5",
        "5-",
        "1,000.5x",
        "1,000.-5",
        "１２３",
        "1234567890123456",
    ])
    func rejects(text: String) {
        let error = expectDomainError(field: "amount", "\"\(text)\"") { _ = try Fen(yuan: text) }
        if case .invalid(_, let value, _) = error {
            #expect(value == text)
        }
    }

    @Test("Fen(typed:) reads 万 and 元 at their extremes and refuses the rest")
    func typedAtTheEdges() throws {
        #expect(try Fen(typed: "99999999999万").rawValue == 99_999_999_999 * 1_000_000)
        #expect(try Fen(typed: "0.000001万").rawValue == 1)
        #expect(try Fen(typed: "１２.５万元").rawValue == 12_500_000)
        #expect(try Fen(typed: "100").rawValue == 10_000)
        #expect(try Fen(typed: "99.99元").rawValue == 9_999)
        #expect(try Fen(typed: "0").rawValue == 0)
        for text in ["999999999999万", "-1万", "−1万", "1.0000001万", "万", ".5万", "1e3万", "1,000万", "-5元", "99.99", "1"] {
            #expect(throws: DomainError.self, "\(text)") { _ = try Fen(typed: text) }
        }
    }

    @Test("the error names the field it was given")
    func customField() {
        expectDomainError(field: "basis") { _ = try Fen(yuan: "1.234", field: "basis") }
        expectDomainError(field: "approved-amount") { _ = try Fen(yuan: "", field: "approved-amount") }
    }

    @Test("yuan(_:) is a whole number of yuan; zero is zero")
    func wholeYuan() {
        #expect(Fen.yuan(3).rawValue == 300)
        #expect(Fen.yuan(10_000_000).rawValue == 1_000_000_000)
        #expect(Fen.yuan(-2).rawValue == -200)
        #expect(Fen.zero.rawValue == 0)
    }

    @Test("formatted: two decimals, no grouping", arguments: [
        (Int64(0), "0.00"),
        (5, "0.05"),
        (50, "0.50"),
        (99, "0.99"),
        (100, "1.00"),
        (125_050, "1250.50"),
        (10_000_000, "100000.00"),
        (100_000_050, "1000000.50"),
        (-5, "-0.05"),
        (-125_050, "-1250.50"),
    ])
    func formatted(fen: Int64, text: String) {
        #expect(Fen(rawValue: fen).formatted == text)
    }

    @Test("grouped: thousands separators for people", arguments: [
        (Int64(0), "0.00"),
        (5, "0.05"),
        (99_999, "999.99"),
        (100_000, "1,000.00"),
        (125_050, "1,250.50"),
        (10_000_000, "100,000.00"),
        (100_000_050, "1,000,000.50"),
        (12_345_678_900, "123,456,789.00"),
        (123_456_789_000, "1,234,567,890.00"),
        (-99, "-0.99"),
        (-123_456_789, "-1,234,567.89"),
        (-100_000, "-1,000.00"),
    ])
    func grouped(fen: Int64, text: String) {
        #expect(Fen(rawValue: fen).grouped == text)
    }

    @Test("description is grouped yuan with the currency")
    func description() {
        #expect(Fen(rawValue: 125_050).description == "1,250.50 yuan")
        #expect(Fen.yuan(10_000_000).description == "10,000,000.00 yuan")
    }

    @Test("formatted and grouped text parse back to the same amount", arguments: [
        Int64(0), 1, 10, 99, 100, 125_050, 100_000_050, 1_234_567_809, 99_999_999_999_999_999,
    ])
    func roundTrip(fen: Int64) throws {
        let amount = Fen(rawValue: fen)
        #expect(try Fen(yuan: amount.formatted) == amount)
        #expect(try Fen(yuan: amount.grouped) == amount)
    }

    @Test("amounts compare by value")
    func comparison() {
        #expect(Fen(rawValue: 1) < Fen(rawValue: 2))
        #expect(Fen(rawValue: -1) < .zero)
        #expect(!(Fen.yuan(1) < Fen(rawValue: 100)))
        #expect(Fen.yuan(1) == Fen(rawValue: 100))
        #expect([Fen.yuan(3), .yuan(1), .yuan(2)].max() == .yuan(3))
    }

    @Test("scaled(_:over:) multiplies and rounds down to the fen")
    func scaled() {
        #expect(Fen(rawValue: 1_000).scaled(30, over: 100) == Fen(rawValue: 300))
        #expect(Fen(rawValue: 1_999).scaled(1, over: 1_000) == Fen(rawValue: 1))
        #expect(Fen(rawValue: 999).scaled(1, over: 1_000) == .zero)
        #expect(Fen(rawValue: 12_345).scaled(1, over: 1) == Fen(rawValue: 12_345))
        #expect(Fen(rawValue: 333).scaled(30, over: 100) == Fen(rawValue: 99))
        // Overflow of the product does not trap; it saturates to a huge amount.
        #expect(Fen(rawValue: .max).scaled(30, over: 100) >= .yuan(10_000_000))
    }

    @Test("JSON carries the amount as an integer number of fen")
    func coding() throws {
        let data = try JSONEncoder().encode(Fen(rawValue: 125_050))
        #expect(String(decoding: data, as: UTF8.self) == "125050")
        #expect(try JSONDecoder().decode(Fen.self, from: Data("100000050".utf8)) == Fen(rawValue: 100_000_050))
    }
}
