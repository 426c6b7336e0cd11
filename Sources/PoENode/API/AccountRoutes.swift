import Hummingbird
import PoECrypto
import PoELedger

extension APIHandlers {
    /// `GET /accounts/{key}`: balance and nonce (0 and 0 for an unknown key), bond if a validator.
    func account(_ context: some RequestContext) throws -> Response {
        let key = try APIRequestParsing.publicKey(context, "key")
        let response: AccountResponse = try read("account") {
            let account = try backend.ledger.account(key)
            let validator = try backend.ledger.validator(account: key)
            return AccountResponse(
                key: key.hex, balance: account?.balance ?? 0, nonce: account?.nonce ?? 0,
                validator: validator.map { ValidatorInfo($0) })
        }
        return JSONBody.response(response)
    }

    /// `GET /validators`: the current epoch's set with bonds, balances, jailed flags and endpoints.
    func validators() throws -> Response {
        let ledger = backend.ledger
        let response: ValidatorsResponse = try read("validators") {
            let height = try ledger.height()
            let set = try ledger.currentValidatorSet()
            var infos: [ValidatorInfo] = []
            for nodeKey in set.nodeKeys {
                guard let state = try ledger.validator(nodeKey: nodeKey) else {
                    throw APIError.internalError("set member \(nodeKey.hex) has no validator row")
                }
                infos.append(ValidatorInfo(state, balance: try ledger.account(state.account)?.balance ?? 0))
            }
            return ValidatorsResponse(epoch: set.epoch, height: height, quorum: set.quorum, validators: infos)
        }
        return JSONBody.response(response)
    }
}
