import Testing

@testable import PoETransport

@Suite struct HandshakeAdmissionTests {
    @Test func perAddressCapRefusesTheNextFromThatAddressOnly() {
        var admission = HandshakeAdmission<Int>(totalMax: 10, perAddressMax: 2)
        #expect(admission.admit(1, address: "10.0.0.1") == nil)
        #expect(admission.admit(2, address: "10.0.0.1") == nil)
        #expect(admission.admit(3, address: "10.0.0.1") == .tooManyFromAddress)
        #expect(admission.admit(4, address: "10.0.0.2") == nil)
        #expect(admission.inProgress == 3)
        #expect(admission.inProgress(from: "10.0.0.1") == 2)
    }

    @Test func totalCapRefusesWhateverTheAddress() {
        var admission = HandshakeAdmission<Int>(totalMax: 3, perAddressMax: 2)
        #expect(admission.admit(1, address: "a") == nil)
        #expect(admission.admit(2, address: "a") == nil)
        #expect(admission.admit(3, address: "b") == nil)
        #expect(admission.admit(4, address: "c") == .tooManyInHandshake)
        #expect(admission.inProgress == 3)
    }

    @Test func releaseFreesTheSlotOnce() {
        var admission = HandshakeAdmission<Int>(totalMax: 1, perAddressMax: 1)
        #expect(admission.admit(1, address: "a") == nil)
        #expect(admission.admit(2, address: "a") == .tooManyInHandshake)
        let freed = admission.release(1)
        let freedAgain = admission.release(1)
        let freedRefused = admission.release(2)
        #expect(freed)
        #expect(!freedAgain, "a connection that ends its handshake and then closes frees one slot")
        #expect(!freedRefused, "a refused connection held no slot")
        #expect(admission.inProgress == 0 && admission.inProgress(from: "a") == 0)
        #expect(admission.admit(3, address: "a") == nil)
    }
}

@Suite struct RefusalReportLimiterTests {
    let second: UInt64 = 1_000_000_000

    @Test func firstIsReportedTheRestHeldAndSummarizedOnce() {
        var limiter = RefusalReportLimiter(intervalNanoseconds: second)
        #expect(limiter.refusal(.timeout, nowNanoseconds: 10) == .report)
        #expect(limiter.refusal(.timeout, nowNanoseconds: 20) == .suppress(flushAfterNanoseconds: second - 10))
        for step in 0..<98 {
            #expect(limiter.refusal(.timeout, nowNanoseconds: 30 + UInt64(step)) == .suppress(flushAfterNanoseconds: nil))
        }
        #expect(limiter.refusal(.malformed, nowNanoseconds: 40) == .report, "each reason has its own window")
        #expect(limiter.flush(.timeout, nowNanoseconds: second + 10) == 99)
        #expect(limiter.flush(.timeout, nowNanoseconds: second + 11) == 0, "nothing is reported twice")
        #expect(limiter.flush(.malformed, nowNanoseconds: second + 11) == 0)
    }

    /// The summary counts as the event of its interval: a flood keeps to one event
    /// per reason per interval.
    @Test func summaryOpensTheNextWindow() {
        var limiter = RefusalReportLimiter(intervalNanoseconds: second)
        #expect(limiter.refusal(.oversizedFrame, nowNanoseconds: 0) == .report)
        #expect(limiter.refusal(.oversizedFrame, nowNanoseconds: 1) == .suppress(flushAfterNanoseconds: second - 1))
        #expect(limiter.flush(.oversizedFrame, nowNanoseconds: second) == 1)
        #expect(
            limiter.refusal(.oversizedFrame, nowNanoseconds: second + 5) == .suppress(flushAfterNanoseconds: second - 5))
        #expect(limiter.refusal(.oversizedFrame, nowNanoseconds: 3 * second) == .suppress(flushAfterNanoseconds: nil),
            "a window whose flush is late stays open until the flush")
        #expect(limiter.flush(.oversizedFrame, nowNanoseconds: 3 * second + 1) == 2)
        #expect(limiter.refusal(.oversizedFrame, nowNanoseconds: 5 * second) == .report)
    }
}
