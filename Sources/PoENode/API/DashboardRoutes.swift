import Hummingbird
import PoECrypto
import PoELedger

/// The routes the status page polls. Each is cheap: memory the node keeps, or a bounded
/// number of ledger rows read through an index, never a scan of the history.
enum DashboardDefaults {
    static let jobsLimit = 20
    static let evidenceLimit = 20
    static let activitySeconds = 300
}

extension APIHandlers {
    /// `GET /jobs?submitter=&status=&limit=`: the most recently submitted jobs (of one
    /// submitter, when given), newest first, each with its attestations against the
    /// quorum of its validator set.
    func jobs(_ request: Request) throws -> Response {
        let query = try APIQuery(request, allowed: ["submitter", "status", "limit"])
        let submitter = try query.publicKey("submitter")
        let status = try query.jobStatus("status")
        let limit = try query.integer("limit", default: DashboardDefaults.jobsLimit, range: 1...Ledger.recentRowsMax)
        let ledger = backend.ledger
        let response: JobsResponse = try read("jobs") {
            let jobs = try ledger.recentJobs(submitter: submitter, status: status, limit: limit)
            var sets: [UInt64: ValidatorSet] = [:]
            var summaries: [JobSummary] = []
            for job in jobs {
                if sets[job.epoch] == nil { sets[job.epoch] = try ledger.validatorSet(epoch: job.epoch) }
                summaries.append(JobSummary(job: job, set: sets[job.epoch], attestations: try ledger.attestations(jobID: job.id)))
            }
            return JobsResponse(height: try ledger.height(), jobs: summaries)
        }
        return JSONBody.response(response)
    }

    /// `GET /evidence?limit=`: the most recent equivocation evidence, newest first.
    func evidence(_ request: Request) throws -> Response {
        let query = try APIQuery(request, allowed: ["limit"])
        let limit = try query.integer("limit", default: DashboardDefaults.evidenceLimit, range: 1...Ledger.recentRowsMax)
        let records = try read("evidence") { try backend.ledger.recentEvidence(limit: limit) }
        return JSONBody.response(EvidenceResponse(evidence: records.map(EvidenceInfo.init)))
    }

    /// `GET /activity?seconds=`: per-second samples of the last minutes, from memory.
    func activity(_ request: Request) throws -> Response {
        let query = try APIQuery(request, allowed: ["seconds"])
        let seconds = try query.integer(
            "seconds", default: DashboardDefaults.activitySeconds, range: 1...ActivityHistory.secondsMax)
        return JSONBody.response(backend.activity(seconds: seconds))
    }
}

/// A request's query parameters, checked: an unknown name, a repeated one or a bad
/// value is a 400 that says what the route takes.
struct APIQuery {
    private let values: [String: String]

    init(_ request: Request, allowed: [String]) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            guard allowed.contains(name) else {
                throw APIError.badRequest(
                    "unknown query parameter \"\(name.prefix(40))\"; this route takes \(allowed.joined(separator: ", "))")
            }
            guard values[name] == nil else { throw APIError.badRequest("query parameter \"\(name)\" is given twice") }
            values[name] = String(value)
        }
        self.values = values
    }

    func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text.prefix(40))\"")
        }
        return number
    }

    /// A job status by its API name; nil when the parameter is absent or empty (all jobs).
    func jobStatus(_ name: String) throws -> JobStatus? {
        guard let text = values[name], !text.isEmpty else { return nil }
        let names = JobStatus.allCases.map(JobResponse.statusText)
        guard let status = JobStatus.allCases.first(where: { JobResponse.statusText($0) == text }) else {
            throw APIError.badRequest("\(name) must be one of \(names.joined(separator: ", ")), got \"\(text.prefix(40))\"")
        }
        return status
    }

    func publicKey(_ name: String) throws -> PublicKey? {
        guard let text = values[name], !text.isEmpty else { return nil }
        guard let key = try? PublicKey(hex: text) else {
            throw APIError.badRequest("\(name) must be a 64-hex-digit public key, got \"\(text.prefix(80))\"")
        }
        return key
    }
}
