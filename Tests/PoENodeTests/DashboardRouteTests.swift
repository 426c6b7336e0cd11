import Foundation
import Hummingbird
import HummingbirdTesting
import PoECrypto
import PoELedger
import PoENode
import Testing

/// The JSON routes the status page reads, and their refusals of bad input.
@Suite struct DashboardRouteTests {
    @Test func jobsAreNewestFirstWithAttestationsAgainstTheQuorum() async throws {
        let backend = try FakeBackend()
        let driver = JobDriver(backend: backend)
        let (finalized, digest) = try driver.finalizedJob(input: "first")
        let pending = try driver.submitJob(spec: JobDriver.spec(input: "second"))
        try driver.attest(job: pending, digest: Digest.sha256("a"), nodes: [0])
        try await testApp(backend).test(.router) { client in
            let all = try await client.execute(uri: "/jobs", method: .get).decode(JobsResponse.self)
            #expect(all.jobs.map(\.id) == [pending.hex, finalized.hex])
            #expect(all.height == (try backend.ledger.height()))
            let open = try #require(all.jobs.first)
            #expect(open.status == "pending")
            #expect(open.attestations == 1 && open.leadingAttestations == 1 && open.quorum == 3 && open.validatorCount == 4)
            #expect(open.agreedDigest == nil && open.divergentAttestations == 0)
            let last = try #require(all.jobs.last)
            #expect(last.agreedDigest == digest.hex && last.leadingAttestations == 3 && last.divergentAttestations == 0)

            let done = try await client.execute(uri: "/jobs?status=finalized&limit=5", method: .get).decode(JobsResponse.self)
            #expect(done.jobs.map(\.id) == [finalized.hex])
            let one = try await client.execute(uri: "/jobs?limit=1", method: .get).decode(JobsResponse.self)
            #expect(one.jobs.map(\.id) == [pending.hex])
            let none = try await client.execute(uri: "/jobs?status=failed", method: .get).decode(JobsResponse.self)
            #expect(none.jobs.isEmpty)
            let submitter = TestKeys.account(7).publicKey.hex
            let mine = try await client.execute(uri: "/jobs?submitter=\(submitter)", method: .get).decode(JobsResponse.self)
            #expect(mine.jobs.map(\.id) == [pending.hex, finalized.hex])
            let other = TestKeys.account(6).publicKey.hex
            let theirs = try await client.execute(uri: "/jobs?submitter=\(other)&status=pending", method: .get)
            #expect(try theirs.decode(JobsResponse.self).jobs.isEmpty)
            let bad = try await client.execute(uri: "/jobs?submitter=zz", method: .get)
            #expect(bad.status == .badRequest)
        }
    }

    @Test func badQueriesAreRefusedWithTheReason() async throws {
        let backend = try FakeBackend()
        let cases: [(String, String)] = [
            ("/jobs?status=done", "status must be one of pending, finalized, settled, failed"),
            ("/jobs?limit=0", "limit must be an integer in 1...200"),
            ("/jobs?limit=201", "limit must be an integer in 1...200"),
            ("/jobs?limit=ten", "limit must be an integer in 1...200"),
            ("/jobs?limit=1&limit=2", "given twice"),
            ("/jobs?stauts=pending", #"unknown query parameter "stauts"; this route takes submitter, status, limit"#),
            ("/evidence?limit=-1", "limit must be an integer in 1...200"),
            ("/activity?seconds=601", "seconds must be an integer in 1...600"),
        ]
        try await testApp(backend).test(.router) { client in
            for (uri, reason) in cases {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.errorText?.contains(reason) == true, "\(uri): \(response.errorText ?? "no error text")")
            }
        }
    }

    @Test func evidencePeersAndActivity() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let evidence = try await client.execute(uri: "/evidence", method: .get).decode(EvidenceResponse.self)
            #expect(evidence.evidence.isEmpty)
            let peers = try await client.execute(uri: "/peers", method: .get).decode(PeersResponse.self)
            #expect(peers.peers.map(\.linked) == [true, false, true])
            let activity = try await client.execute(uri: "/activity", method: .get).decode(ActivityResponse.self)
            #expect(activity.transactions.count == 300, "five minutes by default (the fake is up for longer)")
            let minute = try await client.execute(uri: "/activity?seconds=60", method: .get).decode(ActivityResponse.self)
            #expect(minute.transactions.count == 60 && minute.latencyMeanMs.count == 60)
        }
    }

    /// Every request is counted by its route template (never the path a client sent) and
    /// its status class, in the backend's registry; every route's series exist from the start.
    @Test func requestsAreCountedByRouteAndStatusClass() async throws {
        let backend = try FakeBackend()
        let before = backend.metricsText()
        #expect(before.contains(#"poe_http_requests_total{method="GET",route="/jobs/{id}",status="2xx"} 0"#), "\(before)")
        #expect(before.contains(#"poe_http_requests_total{method="GET",route="unmatched",status="4xx"} 0"#))
        try await testApp(backend).test(.router) { client in
            _ = try await client.execute(uri: "/status", method: .get)
            _ = try await client.execute(uri: "/status", method: .get)
            _ = try await client.execute(uri: "/jobs/\(Digest.sha256("none").hex)", method: .get)
            _ = try await client.execute(uri: "/no/such/\(UUID().uuidString)", method: .get)
        }
        let after = backend.metricsText()
        #expect(after.contains(#"poe_http_requests_total{method="GET",route="/status",status="2xx"} 2"#), "\(after)")
        #expect(after.contains(#"poe_http_requests_total{method="GET",route="/jobs/{id}",status="4xx"} 1"#))
        #expect(after.contains(#"poe_http_requests_total{method="GET",route="unmatched",status="4xx"} 1"#))
        #expect(!after.contains("/no/such"), "a client's path never becomes a label")
        #expect(after.contains(#"poe_http_request_duration_seconds_count{route="/status"} 2"#))
    }
}

@Suite struct StatusPageTests {
    @Test func theStatusPageIsOneSelfContainedDocument() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            let html = String(buffer: page.body)
            #expect(html.hasPrefix("<!doctype html>"))
            #expect(html.contains("<script>") && html.contains("<style>"))
            for external in ["http:", "https:", "src=", "<link", "@import", "url("] {
                #expect(!html.contains(external), "the page must not load anything: found \(external)")
            }
            // Every route the script reads answers.
            let paths = Set(html.matches(of: /getJSON\("(\/[a-z]+)/).map { String($0.1) })
            #expect(paths == ["/status", "/peers", "/activity", "/validators", "/jobs", "/evidence"])
            for path in paths {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path): \(response.errorText ?? "")")
            }
        }
    }
}
