import Foundation
import PoECrypto
import Testing
@testable import PoELedger

@Suite struct GenesisTests {
    @Test func jsonRoundTripKeepsEveryField() throws {
        let genesis = Fixtures.genesis()
        let decoded = try Genesis.decode(json: try genesis.encodedJSON())
        #expect(decoded == genesis)
        #expect(decoded.digest == genesis.digest)
    }

    @Test func mintedSupplyIsBalancesPlusBonds() {
        #expect(Fixtures.genesis(validatorCount: 4).mintedSupply == 8 * 100_000 + 4 * 10_000)
    }

    @Test func refusesInvalidGenesis() {
        var below = Fixtures.genesis()
        below.validators[0].bond = 999
        #expect(throws: GenesisError.bondBelowMinimum(account: Keys.account(0).publicKey.hex, bond: 999, minimum: 1_000)) {
            try below.validate()
        }
        var duplicate = Fixtures.genesis()
        duplicate.accounts.append(duplicate.accounts[0])
        #expect(throws: GenesisError.duplicateAccount(Keys.account(0).publicKey.hex)) { try duplicate.validate() }
        var sharedNode = Fixtures.genesis()
        sharedNode.validators[1].nodeKey = sharedNode.validators[0].nodeKey
        #expect(throws: GenesisError.duplicateNodeKey(Keys.node(0).publicKey.hex)) { try sharedNode.validate() }
        var slash = Fixtures.genesis()
        slash.parameters.wrongResultSlashBasisPoints = 10_001
        #expect(throws: GenesisError.self) { try slash.validate() }
        var epoch = Fixtures.genesis()
        epoch.parameters.epochLengthHeights = 0
        #expect(throws: GenesisError.self) { try epoch.validate() }
        var huge = Fixtures.genesis()
        huge.accounts[0].balance = UInt64(Int64.max)
        #expect(throws: GenesisError.supplyTooLarge) { try huge.validate() }
        var emptyChain = Fixtures.genesis()
        emptyChain.chainID = ""
        #expect(throws: GenesisError.invalidChainID("is empty")) { try emptyChain.validate() }
    }

    @Test func refusesMalformedJSONWithAClearError() {
        #expect(throws: GenesisError.self) { try Genesis.decode(json: Data("{\"chainID\": 3}".utf8)) }
        #expect(throws: GenesisError.self) { try Genesis.decode(json: Data("not json".utf8)) }
    }

    @Test func openRefusesInvalidGenesis() {
        var genesis = Fixtures.genesis()
        genesis.parameters.minimumStake = 0
        #expect(throws: LedgerError.self) { try Ledger.open(path: nil, genesis: genesis) }
    }

    @Test func genesisStateIsHeightZeroWithEpochZeroSet() throws {
        let ledger = try Ledger.open(path: nil, genesis: Fixtures.genesis())
        #expect(try ledger.height() == 0)
        let set = try #require(try ledger.validatorSet(epoch: 0))
        #expect(set.count == 4)
        #expect(set.quorum == 3)
        #expect(try ledger.validatorSet(epoch: 1) == nil)
        #expect(try ledger.snapshot().accountedSupply == Fixtures.genesis().mintedSupply)
    }
}
