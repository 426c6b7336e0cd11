import Foundation

extension HarnessReport {
    /// The closing report, as the harness prints it.
    public var rendered: String {
        var lines = ["", "== report"]
        let latencies = jobs.compactMap(\.finalizedAfterMs).sorted()
        lines.append("jobs finalized: \(finalizedCount) of \(jobs.count)")
        if !latencies.isEmpty {
            let p50 = latencies[(latencies.count - 1) / 2]
            lines.append(String(format: "submit to finalized: p50 %.0f ms, max %.0f ms", p50, latencies.last!))
        }
        for job in jobs {
            let proof = job.proofVerified ? "proof verified offline against genesis" : (job.proofProblem ?? "no proof")
            lines.append(
                "  \(pad(job.name, 10)) \(pad(job.status, 9)) digest \(job.agreedDigest.map { String($0.prefix(16)) } ?? "-")  \(proof)")
            if !job.outputPreview.isEmpty { lines.append("             output: \(job.outputPreview)") }
        }
        lines.append("validators:")
        for validator in validators {
            let bond = Int64(validator.bondAfter) - Int64(validator.bondBefore)
            let balance = Int64(validator.balanceAfter) - Int64(validator.balanceBefore)
            let role = validator.fault?.rawValue ?? "honest"
            lines.append(
                "  \(pad(validator.name, 7)) \(pad(role, 16)) rewards \(pad(signed(balance), 8)) bond \(validator.bondAfter) (\(signed(bond)))\(bond < 0 ? "  SLASHED" : "")  height \(validator.height) root \(validator.stateRoot.prefix(16))"
            )
        }
        lines.append("honest nodes hold the same ledger root: \(honestRootsAgree ? "yes" : "NO")")
        lines.append("testnet folder (homes, logs): \(folder.path)")
        return lines.joined(separator: "\n")
    }

    /// The checks the harness stands for: every job finalized with a proof that verifies,
    /// the honest nodes agree, no honest validator slashed, every wrong-result node slashed.
    public func passed(options: ClusterHarness.Options) -> Bool {
        guard jobs.allSatisfy({ $0.agreedDigest != nil && $0.proofVerified }), honestRootsAgree else { return false }
        for validator in validators {
            switch validator.fault {
            case .none: if validator.bondAfter < validator.bondBefore { return false }
            case .wrongResult?, .equivocate?: if validator.bondAfter >= validator.bondBefore { return false }
            case .silentAttester?: break
            }
        }
        return true
    }

    private func signed(_ value: Int64) -> String { value > 0 ? "+\(value)" : "\(value)" }
}
