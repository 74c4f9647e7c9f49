import Foundation

/// The recognition level of a platform (国家级 / 省级 / 市级).
public enum Level: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// 国家级
    case national
    /// 省级
    case provincial
    /// 市级
    case municipal

    /// The Chinese name, also accepted on input.
    public var chineseName: String {
        switch self {
        case .national: "国家级"
        case .provincial: "省级"
        case .municipal: "市级"
        }
    }

    /// Rank for comparisons: municipal < provincial < national.
    var rank: Int {
        switch self {
        case .municipal: 0
        case .provincial: 1
        case .national: 2
        }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }

    /// Parses a key (`provincial`) or a Chinese name (`省级`).
    public init(parsing text: String) throws(DomainError) {
        if let level = Level(rawValue: text) {
            self = level
            return
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let level = Level(rawValue: trimmed.lowercased()) ?? Level.allCases.first(where: { $0.chineseName == trimmed }) else {
            throw .refused(field: "level", value: text, message: .levelUnknown(Level.allCases.map(\.rawValue)))
        }
        self = level
    }
}

/// A kind of science-and-technology platform or enterprise that the plan registers (POLICY.md).
public enum PlatformCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case keyLab = "key_lab"
    case techInnovationCenter = "tech_innovation_center"
    case engineeringResearchCenter = "engineering_research_center"
    case enterpriseTechCenter = "enterprise_tech_center"
    case industrialTechInstitute = "industrial_tech_institute"
    case newRDInstitution = "new_rd_institution"
    case pilotBase = "pilot_base"
    case techInnovationPark = "tech_innovation_park"
    case industryAlliance = "industry_alliance"
    case starInnovationSpace = "star_innovation_space"
    case incubator
    case makerspace
    case techTransferAgency = "tech_transfer_agency"
    case academicianWorkstation = "academician_workstation"
    case academicianPartner = "academician_partner"
    case postdocStation = "postdoc_station"
    case postdocBase = "postdoc_base"
    case intlCoopBase = "intl_coop_base"
    case externalInnovationCenter = "external_innovation_center"
    case applicationScenario = "application_scenario"
    case highTechEnterprise = "high_tech_enterprise"
    case techSME = "tech_sme"

    /// The Chinese name used in the plan, also accepted on input.
    public var chineseName: String {
        switch self {
        case .keyLab: "重点实验室"
        case .techInnovationCenter: "技术创新中心"
        case .engineeringResearchCenter: "工程研究中心"
        case .enterpriseTechCenter: "企业技术中心"
        case .industrialTechInstitute: "产业技术研究院"
        case .newRDInstitution: "新型研发机构"
        case .pilotBase: "科技成果中试基地"
        case .techInnovationPark: "科技创新园区"
        case .industryAlliance: "产业技术创新战略联盟"
        case .starInnovationSpace: "星创天地"
        case .incubator: "科技企业孵化器"
        case .makerspace: "众创空间"
        case .techTransferAgency: "技术转移服务机构"
        case .academicianWorkstation: "河北省院士工作站"
        case .academicianPartner: "省级院士合作重点单位"
        case .postdocStation: "博士后科研工作站"
        case .postdocBase: "省博士后创新实践基地"
        case .intlCoopBase: "国际科技合作基地"
        case .externalInnovationCenter: "域外创新中心"
        case .applicationScenario: "产业创新应用场景"
        case .highTechEnterprise: "高新技术企业"
        case .techSME: "省科技型中小企业"
        }
    }

    /// Other spellings the seed uses for the category, accepted on input too.
    public var chineseAliases: [String] {
        switch self {
        case .techSME: ["科技型中小企业"]
        case .academicianWorkstation: ["省院士工作站", "院士工作站"]
        case .academicianPartner: ["省院士合作重点单位"]
        case .postdocBase: ["博士后创新实践基地"]
        case .industryAlliance: ["技术创新战略联盟"]
        case .pilotBase: ["科技成果中试基地(平台)", "科技成果转化中试基地", "科技成果转化中试基地(平台)", "中试基地", "中试基地(平台)"]
        case .techTransferAgency: ["技术交易机构", "技术转移机构", "技术转移、技术交易机构"]
        default: []
        }
    }

    /// The levels a platform of this category may have; empty when the plan names no level. The
    /// seed restricts levels only where it says so: pilot bases (any base built in Tangshan) and
    /// tech-transfer agencies (1 ‰ at any level) take every level, and municipal incubators and
    /// makerspaces exist (with no award) because they count toward the target of 90.
    public var allowedLevels: [Level] {
        switch self {
        case .keyLab, .techInnovationCenter, .engineeringResearchCenter, .enterpriseTechCenter,
             .industrialTechInstitute, .industryAlliance, .pilotBase, .techTransferAgency, .incubator, .makerspace:
            [.national, .provincial, .municipal]
        case .newRDInstitution, .academicianWorkstation, .academicianPartner, .postdocBase:
            [.provincial]
        case .techInnovationPark:
            [.municipal]
        case .starInnovationSpace, .intlCoopBase:
            [.national, .provincial]
        case .postdocStation, .externalInnovationCenter, .applicationScenario, .highTechEnterprise, .techSME:
            []
        }
    }

    /// The seed's Chinese name of each subtype (its targets: 工业制造场景, 节能环保应用场景,
    /// 物流服务应用场景, 智慧农业应用场景; 从省外引进的高新技术企业, 新认定的).
    public static let subtypeChineseNames: [String: String] = [
        "industrial": "工业制造", "energy_environment": "节能环保", "logistics": "物流服务", "smart_agriculture": "智慧农业",
        "imported": "省外引进", "new": "新认定",
    ]

    /// The Chinese names of the subtypes, and other spellings clerks use, accepted on input.
    public static let chineseSubtypes: [String: String] = Dictionary(uniqueKeysWithValues: subtypeChineseNames.map { ($0.value, $0.key) })
        .merging(["能源环保": "energy_environment", "现代物流": "logistics", "引进": "imported", "域外引进": "imported", "从省外引进": "imported"]) { first, _ in first }

    /// The subtypes of this category (scenario kinds, enterprise origin); empty when it has none.
    public var subtypes: [String] {
        switch self {
        case .applicationScenario: ["industrial", "energy_environment", "logistics", "smart_agriculture"]
        case .highTechEnterprise: ["new", "imported"]
        default: []
        }
    }

    /// The subtype assumed when none is given (a newly recognised high-tech enterprise).
    public var defaultSubtype: String? {
        self == .highTechEnterprise ? "new" : nil
    }

    /// True for the enterprise categories (high-tech enterprises, tech SMEs).
    public var isEnterprise: Bool { self == .highTechEnterprise || self == .techSME }

    /// The plan section that defines this category, e.g. `四(二)1`.
    public var planSection: String {
        switch self {
        case .keyLab: "四(二)1"
        case .techInnovationCenter, .engineeringResearchCenter, .enterpriseTechCenter: "四(二)2"
        case .industrialTechInstitute: "四(二)3"
        case .newRDInstitution: "四(二)4"
        case .pilotBase: "四(三)1"
        case .techInnovationPark: "四(三)2"
        case .industryAlliance: "四(三)3"
        case .starInnovationSpace: "四(三)4"
        case .incubator, .makerspace: "四(四)1"
        case .techTransferAgency: "四(四)2"
        case .academicianWorkstation, .academicianPartner, .postdocStation, .postdocBase: "四(四)4"
        case .intlCoopBase: "四(四)5"
        case .externalInnovationCenter: "四(四)6"
        case .applicationScenario: "四(五)"
        case .highTechEnterprise, .techSME: "四(一)1"
        }
    }

    /// Parses a key (`key_lab`) or a Chinese name (`重点实验室`).
    public init(parsing text: String) throws(DomainError) {
        if let category = PlatformCategory(rawValue: text) {
            self = category
            return
        }
        // Full-width brackets and spaces, as Chinese input methods type them, read as ASCII: the
        // seed writes 科技成果中试基地(平台), a clerk 科技成果中试基地（平台）.
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "（", with: "(").replacingOccurrences(of: "）", with: ")")
            .replacingOccurrences(of: "\u{3000}", with: "")
        guard let category = PlatformCategory(rawValue: trimmed.lowercased())
                ?? PlatformCategory.allCases.first(where: { $0.chineseName == trimmed || $0.chineseAliases.contains(trimmed) }) else {
            throw .refused(field: "category", value: text, message: .categoryUnknown(PlatformCategory.allCases.map { "\($0.rawValue) (\($0.chineseName))" }.joined(separator: ", ")))
        }
        self = category
    }

    /// Checks a level and subtype against this category and returns them normalised.
    public func validate(level: Level?, subtype: String?) throws(DomainError) -> (level: Level?, subtype: String?) {
        if allowedLevels.isEmpty {
            if let level {
                throw .refused(field: "level", value: level.rawValue, message: .levelNotAllowed(category: self))
            }
        } else {
            guard let level else {
                throw .refused(field: "level", value: "", message: .levelNeeded(category: self))
            }
            guard allowedLevels.contains(level) else {
                throw .refused(field: "level", value: level.rawValue, message: .levelNotOfCategory(category: self))
            }
        }
        let given = subtype.flatMap { $0.isEmpty ? nil : (Self.chineseSubtypes[$0.trimmingCharacters(in: .whitespaces)] ?? $0) }
        if subtypes.isEmpty {
            if let given {
                throw .refused(field: "subtype", value: given, message: .subtypeNone(category: self))
            }
            return (level, nil)
        }
        guard let chosen = given ?? defaultSubtype else {
            throw .refused(field: "subtype", value: "", message: .subtypeNeeded(category: self))
        }
        guard subtypes.contains(chosen) else {
            let names = subtypes.map { key in "\(key) (\(Self.subtypeChineseNames[key] ?? ""))" }
            throw .refused(field: "subtype", value: chosen, message: .subtypeUnknown(category: self, names: names))
        }
        return (level, chosen)
    }
}
