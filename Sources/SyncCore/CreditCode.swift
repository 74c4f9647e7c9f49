import Foundation

/// A unified social credit code (统一社会信用代码, GB 32100-2015), validated on construction.
///
/// Eighteen characters from `0-9 A-H J-N P-R T-U W-Y` (no I, O, S, V, Z); the 18th is a check
/// character over the first 17 with weights 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24,
/// 10, 30, 28, modulo 31.
///
/// ```swift
/// try CreditCode("91130200MA0CXXXX0X")  // throws: names the expected check character
/// ```
public struct CreditCode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The 18 characters, upper case.
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// Validates `text` (surrounding spaces ignored, lower case accepted).
    public init(_ text: String, field: String = "credit code") throws(DomainError) {
        // The common case, judged on the bytes: 18 characters of the alphabet, check character right.
        if let valid = Self.validPlain(text) {
            self.value = valid
            return
        }
        let plain = text.utf8.count == 18 && text.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) }
        let code = plain ? text : text.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == 18 else {
            throw .refused(field: field, value: text, message: .creditCodeLength(code.count))
        }
        var values: [Int] = []
        for character in code {
            guard let index = Self.alphabet.firstIndex(of: character) else {
                throw .refused(field: field, value: text, message: .creditCodeCharacter(character))
            }
            values.append(index)
        }
        guard values.prefix(17).contains(where: { $0 != 0 }) else {
            throw .refused(field: field, value: text, message: .creditCodeZeros)
        }
        // The registering authority (1 to 9, A, N, Y) and an administrative division (not
        // 000000): a code such as 000000000000000013 has a valid check character but is a placeholder.
        guard let authority = code.first, "123456789ANY".contains(authority) else {
            throw .refused(field: field, value: text, message: .creditCodeAuthority(code.first.map(String.init) ?? ""))
        }
        guard values[2..<8].contains(where: { $0 != 0 }) else {
            throw .refused(field: field, value: text, message: .creditCodeDivision)
        }
        let expected = Self.checkCharacter(values.prefix(17))
        guard Self.alphabet[values[17]] == expected else {
            throw .refused(field: field, value: text, message: .creditCodeCheck(expected: expected, found: Self.alphabet[values[17]]))
        }
        self.value = code
    }

    /// Each ASCII byte's place in the alphabet, or -1.
    private static let places: [Int8] = (0..<128).map { byte in
        Int8(alphabet.firstIndex(of: Character(Unicode.Scalar(UInt8(byte)))) ?? -1)
    }

    /// `text` if it is a valid code as it stands (no spaces, upper case), else nil; the slower
    /// path then normalises it or names what is wrong.
    private static func validPlain(_ text: String) -> String? {
        guard text.utf8.count == 18 else { return nil }
        let valid = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            var sum = 0
            var division = false
            for index in 0..<17 {
                let byte = bytes[index]
                guard byte < 128, case let place = Int(places[Int(byte)]), place >= 0 else { return false }
                if (2..<8).contains(index) { division = division || place != 0 }
                sum += place * weights[index]
            }
            // The registering authority and the division as the slower path judges them.
            let authority = bytes[0]
            let knownAuthority = (0x31...0x39).contains(authority) || authority == 0x41 || authority == 0x4E || authority == 0x59
            return knownAuthority && division && bytes[17] < 128 && Int(places[Int(bytes[17])]) == checkPlace(weightedSum: sum)
        }
        return valid == true ? text : nil
    }

    /// The check character for the first 17 characters of a code.
    public static func checkCharacter(for first17: String) -> Character? {
        let values = first17.uppercased().compactMap { alphabet.firstIndex(of: $0) }
        guard values.count == 17, first17.count == 17 else { return nil }
        return checkCharacter(values[...])
    }

    private static func checkCharacter(_ values: ArraySlice<Int>) -> Character {
        alphabet[checkPlace(weightedSum: zip(values, weights).reduce(0) { $0 + $1.0 * $1.1 })]
    }

    /// The check character's place in the alphabet for the weighted sum of the first 17.
    private static func checkPlace(weightedSum sum: Int) -> Int { (31 - sum % 31) % 31 }

    /// The code itself.
    public var description: String { value }
}
