/// Every stable error code the city answers with, and its HTTP status: one table for the
/// aggregator's errors, the store's refusals, the in-process transport and the client's
/// decisions. The wire carries the raw value (`ErrorBody.code`); a code this release does not
/// know (from a newer city) is still shown, as text.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    // The body or a query parameter is not a valid request.
    case badRequest = "bad_request"
    case invalidInput = "invalid_input"
    // A change fails the receiver's check: table, column, type, range, size; or a clock ahead.
    case malformedChange = "malformed_change"
    case clockAhead = "clock_ahead"
    case badClock = "bad_clock"
    // A batch that does not add up.
    case checksumMismatch = "checksum_mismatch"
    case badSequence = "bad_sequence"
    case nodeMismatch = "node_mismatch"
    case badNode = "bad_node"
    // The two histories disagree: the city lost changes, or the replica went back.
    case sequenceGap = "sequence_gap"
    case replicaDiverged = "replica_diverged"
    case feedCompacted = "feed_compacted"
    case feedDiverged = "feed_diverged"
    case noFeedKey = "no_feed_key"
    // Too much at once.
    case batchTooLarge = "batch_too_large"
    case payloadTooLarge = "payload_too_large"
    // This county's share of the city's work is taken: try again after `Retry-After`.
    case tooManyRequests = "too_many_requests"
    // The request's body did not arrive in time.
    case requestTimeout = "request_timeout"
    // Who may do what.
    case forbiddenCounty = "forbidden_county"
    case tooManyNodes = "too_many_nodes"
    case nodeRetired = "node_retired"
    case roleNotAllowed = "role_not_allowed"
    case unknownRole = "unknown_role"
    case unknownCounty = "unknown_county"
    case notACountyCertificate = "not_a_county_certificate"
    case notAnOperatorCertificate = "not_an_operator_certificate"
    case noClientCertificate = "no_client_certificate"
    case certificateRevoked = "certificate_revoked"
    case notAllowed = "not_allowed"
    // The server's side.
    case upgradeNeeded = "upgrade_needed"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case shuttingDown = "shutting_down"
    case denyListUnavailable = "deny_list_unavailable"
    // The city cannot write now: its disk is full or failing (a county's changes stay queued
    // and are sent again), or its database stayed locked by another process.
    case storageUnavailable = "storage_unavailable"
    case databaseBusy = "database_busy"
    case storageError = "storage_error"
    case internalError = "internal_error"

    /// What the code means, in Chinese, for the person who reads the error (a county's IT
    /// admin, a clerk): the catalogue's Chinese beside the wire's English `message`, which carries
    /// the particulars. Said as what happened and, where there is one, what to do.
    public var zh: String {
        switch self {
        case .badRequest: "请求格式不对，未被接受，什么也没有写入"
        case .invalidInput: "输入不符合规则，未被接受，什么也没有写入"
        case .malformedChange: "一条变更的表、字段、类型、范围或长度不对，整批未接受，什么也没有写入"
        case .clockAhead: "变更的时间比市里的时钟快得太多：请校准本机时钟，变更会在校准后重新发送"
        case .badClock: "时钟读数不合理，未被接受"
        case .checksumMismatch: "批次的校验和与内容不符（传输中损坏？），整批未接受，会重新发送"
        case .badSequence: "批次的序号不连续或与声明不符，整批未接受"
        case .nodeMismatch: "批次里的变更不属于发送它的节点，整批未接受"
        case .badNode: "节点编号格式不对，未被接受"
        case .sequenceGap: "市里缺少本节点更早的变更（市里从备份恢复过？），守护进程会从市里已有的位置重新发送"
        case .replicaDiverged: "本副本的历史与市里记录的不一致（从备份恢复过？），需以新节点继续"
        case .feedCompacted: "市里已压缩了这段更新记录：副本需先合并市里的快照，再继续拉取"
        case .feedDiverged: "市里的更新记录与本副本已应用的不同：市里可能从备份恢复过"
        case .noFeedKey: "市里没有签名密钥，无法核对退回的变更"
        case .batchTooLarge: "一批的变更太多，未被接受，请分批发送"
        case .payloadTooLarge: "请求太大，未被接受"
        case .tooManyRequests: "本县的请求排队已满，请按 Retry-After 稍后重试，什么也没有丢失"
        case .requestTimeout: "请求内容没有及时送达，未被接受，会重新发送"
        case .forbiddenCounty: "不能写入或读取其他县区的数据，整批未接受"
        case .tooManyNodes: "本县的节点数已满：请市里退役不用的节点（syncctl nodes retire）"
        case .nodeRetired: "该节点已被市里退役，不能再同步：请用新副本（syncctl init）"
        case .roleNotAllowed: "您的角色不允许这个操作"
        case .unknownRole: "角色文件里没有这个角色"
        case .unknownCounty: "县区代码不在县区名单中"
        case .notACountyCertificate: "这不是县区证书，不能同步"
        case .notAnOperatorCertificate: "这不是市里操作员的证书，不能打开控制台"
        case .noClientCertificate: "没有出示客户端证书：请在浏览器或客户端配置证书"
        case .certificateRevoked: "证书已被吊销，不能使用"
        case .notAllowed: "这个操作在当前状态下不允许"
        case .upgradeNeeded: "市里要求更新的同步协议：请升级本县软件，变更保留在本地，不会丢失"
        case .notFound: "没有这个地址或记录"
        case .methodNotAllowed: "该地址不接受这种请求方法"
        case .shuttingDown: "市里的服务正在停止，请稍后重试，什么也没有丢失"
        case .denyListUnavailable: "市里暂时读不到吊销名单，请稍后重试"
        case .storageUnavailable: "市里的存储暂时不能写入（磁盘满或故障），变更保留在本地，会重新发送"
        case .databaseBusy: "市里的数据库被其他程序占用，请稍后重试，什么也没有写入"
        case .storageError: "市里的存储出错，什么也没有写入：请联系市里的信息管理员"
        case .internalError: "市里的服务内部出错：请联系市里的信息管理员，并提供请求编号"
        }
    }

    /// The HTTP status this code is answered with.
    public var httpStatus: Int {
        switch self {
        case .badRequest, .invalidInput, .malformedChange, .clockAhead, .badClock, .checksumMismatch, .badSequence,
             .nodeMismatch, .badNode:
            400
        case .sequenceGap, .replicaDiverged, .feedCompacted, .feedDiverged, .noFeedKey: 409
        // (`notAllowed`, a workflow rule a decision breaks, is 409 too.)
        case .batchTooLarge, .payloadTooLarge: 413
        case .tooManyRequests: 429
        case .requestTimeout: 408
        case .forbiddenCounty, .tooManyNodes, .nodeRetired, .roleNotAllowed, .unknownRole, .unknownCounty, .notACountyCertificate,
             .notAnOperatorCertificate, .certificateRevoked:
            403
        case .notAllowed: 409
        case .noClientCertificate: 401
        case .upgradeNeeded: 426
        case .notFound: 404
        case .methodNotAllowed: 405
        case .shuttingDown, .denyListUnavailable, .storageUnavailable, .databaseBusy: 503
        case .storageError, .internalError: 500
        }
    }
}
