import Testing
import SyncCore

/// Runs `body`, which must throw a `DomainError` naming `field`; records an issue otherwise.
/// Also checks that the message a person sees starts with the field's name.
/// Returns the error for further checks.
@discardableResult
func expectDomainError(
    field: String,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> DomainError? {
    do {
        try body()
        Issue.record("expected a DomainError naming \(field), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as DomainError {
        #expect(error.field == field, comment, sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix(field + " "), "message should name the field: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a DomainError naming \(field), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Fixed, valid UUIDv7 strings for records, so tests other than `RecordIDTests` never touch the
/// process-wide id generator.
enum TestIDs {
    static let platform = "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"
    static let otherPlatform = "017f22e2-79b0-7cc4-98c4-dc0c0c073990"
    static let award = "018f3b2a-1c00-7000-8000-000000000001"
}

/// A unified social credit code verified by hand (see `CreditCodeTests.handVerifiedLiteral`).
let validCreditCode = "91350100M000100Y43"
