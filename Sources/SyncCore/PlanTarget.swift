/// Whether a 2025 target is a stock (达到: so many exist by 2025, whenever recognised) or a flow
/// (新建, 建设, 培育建设: so many new ones, recognised on or after the plan's start).
public enum TargetKind: String, Sendable, Hashable, Codable {
    case stock
    case flow
}

/// One of the plan's 2025 targets and which platforms count toward it.
public struct PlanTarget: Sendable {
    /// Stable key, e.g. `key_labs`.
    public let key: String
    /// What the plan counts.
    public let description: String
    /// The plan's own words for it.
    public let chinese: String
    /// Stock or flow.
    public let kind: TargetKind
    /// The target (the lower bound of a range such as "3 to 5").
    public let target: Int
    /// The upper bound of a range target.
    public let targetMax: Int?
    /// The target this one is a part of, if any.
    public let parent: String?
    /// Whether a recognised platform counts toward the target (its kind decides the dates).
    public let counts: @Sendable (Platform) -> Bool

    /// Creates a target.
    public init(key: String, description: String, chinese: String, kind: TargetKind, target: Int, targetMax: Int? = nil,
                parent: String? = nil, counts: @escaping @Sendable (Platform) -> Bool) {
        self.key = key
        self.description = description
        self.chinese = chinese
        self.kind = kind
        self.target = target
        self.targetMax = targetMax
        self.parent = parent
        self.counts = counts
    }

    /// The day the plan took effect.
    public static let planStart = try! CalendarDate("2022-06-09")
    /// The day its targets fall due.
    public static let planEnd = try! CalendarDate("2025-12-31")

    /// Whether `platform` counts toward this target: recognised (not registered, not revoked),
    /// of a category and level the target names, and for a flow recognised on or after the
    /// plan's start.
    public func includes(_ platform: Platform) -> Bool {
        guard platform.status == .recognized, counts(platform) else { return false }
        guard kind == .flow else { return true }
        return platform.recognizedOn.map { $0 >= Self.planStart } ?? false
    }

    /// Whether `platform` counts toward the target as of `date`: recognised by then, and by the
    /// plan's end (2025-12-31; a later recognition counts toward no 2025 target). A recognition
    /// with no date on record (from before dates were the city's) counts as an early one.
    public func includes(_ platform: Platform, asOf date: CalendarDate) -> Bool {
        guard includes(platform) else { return false }
        guard let recognized = platform.recognizedOn else { return kind == .stock }
        return recognized <= Swift.min(date, Self.planEnd)
    }

    /// Whether `platform` would count toward the target but was recognised after the plan's end,
    /// by `date`: shown apart, not counted.
    public func isRecognizedAfterPlan(_ platform: Platform, asOf date: CalendarDate) -> Bool {
        guard platform.status == .recognized, counts(platform), let recognized = platform.recognizedOn else { return false }
        return recognized > Self.planEnd && recognized <= date
    }

    /// The targets of POLICY.md that the platform register can count. Technology-contract turnover,
    /// agricultural commissioners and leading enterprises, and the high-tech industry share are not
    /// in the register and are left out.
    public static let tangshan2025: [PlanTarget] = {
        func categories(_ set: Set<PlatformCategory>, level minimum: Level? = nil, exactly: Level? = nil, subtype: String? = nil) -> @Sendable (Platform) -> Bool {
            { platform in
                guard set.contains(platform.category) else { return false }
                if let subtype, platform.subtype != subtype { return false }
                if let exactly { return platform.level == exactly }
                guard let minimum else { return true }
                guard let level = platform.level else { return false }
                return level >= minimum
            }
        }
        let centres: Set<PlatformCategory> = [.techInnovationCenter, .engineeringResearchCenter, .enterpriseTechCenter]
        let labsAndCentres = categories(centres.union([.keyLab, .industrialTechInstitute]), level: .municipal)
        let institutions = categories([.newRDInstitution], level: .provincial)
        let rdPlatforms: @Sendable (Platform) -> Bool = { labsAndCentres($0) || institutions($0) }
        return [
            PlanTarget(key: "high_tech_enterprises", description: "high-tech enterprises", chinese: "高新技术企业", kind: .stock,
                       target: 1_800, counts: categories([.highTechEnterprise])),
            PlanTarget(key: "tech_smes", description: "tech SMEs", chinese: "科技型中小企业", kind: .stock, target: 14_000, counts: categories([.techSME])),
            PlanTarget(key: "rd_platforms", description: "new municipal-or-higher R&D platforms", chinese: "新建市级以上研发平台", kind: .flow,
                       target: 100, counts: rdPlatforms),
            PlanTarget(key: "key_labs", description: "of which key labs", chinese: "其中重点实验室", kind: .flow, target: 15, parent: "rd_platforms",
                       counts: categories([.keyLab], level: .municipal)),
            PlanTarget(key: "innovation_centres", description: "of which innovation, engineering and enterprise centres",
                       chinese: "其中技术创新中心、工程研究中心、企业技术中心", kind: .flow, target: 70, parent: "rd_platforms",
                       counts: categories(centres, level: .municipal)),
            PlanTarget(key: "industrial_institutes", description: "of which industrial tech institutes", chinese: "其中产业技术研究院", kind: .flow,
                       target: 10, parent: "rd_platforms", counts: categories([.industrialTechInstitute], level: .municipal)),
            PlanTarget(key: "new_rd_institutions", description: "of which provincial new R&D institutions", chinese: "其中省级新型研发机构", kind: .flow,
                       target: 5, parent: "rd_platforms", counts: categories([.newRDInstitution], level: .provincial)),
            PlanTarget(key: "pilot_bases", description: "municipal pilot bases", chinese: "市级科技成果中试基地", kind: .flow, target: 3, targetMax: 5,
                       counts: categories([.pilotBase], exactly: .municipal)),
            PlanTarget(key: "innovation_parks", description: "municipal tech innovation parks", chinese: "市级科技创新园区", kind: .stock, target: 10,
                       counts: categories([.techInnovationPark], exactly: .municipal)),
            PlanTarget(key: "industry_alliances", description: "municipal-or-higher industry alliances", chinese: "市级以上产业技术创新战略联盟",
                       kind: .stock, target: 24, counts: categories([.industryAlliance], level: .municipal)),
            PlanTarget(key: "star_spaces", description: "provincial-or-higher star innovation spaces", chinese: "省级以上星创天地", kind: .stock,
                       target: 30, counts: categories([.starInnovationSpace], level: .provincial)),
            PlanTarget(key: "incubators_makerspaces", description: "municipal-or-higher incubators and makerspaces",
                       chinese: "市级以上科技企业孵化器、众创空间", kind: .stock, target: 90,
                       counts: categories([.incubator, .makerspace], level: .municipal)),
            PlanTarget(key: "tech_transfer_agencies", description: "provincial-or-higher tech transfer agencies", chinese: "省级以上技术转移服务机构",
                       kind: .stock, target: 12, counts: categories([.techTransferAgency], level: .provincial)),
            PlanTarget(key: "academician", description: "academician workstations and partner units", chinese: "省院士工作站、省院士合作重点单位",
                       kind: .stock, target: 20, counts: categories([.academicianWorkstation, .academicianPartner])),
            PlanTarget(key: "postdoc", description: "postdoc stations and bases", chinese: "博士后科研工作站(博士后创新实践基地)", kind: .stock,
                       target: 40, counts: categories([.postdocStation, .postdocBase])),
            PlanTarget(key: "intl_coop_bases", description: "provincial-or-higher international cooperation bases", chinese: "省级以上国际科技合作基地",
                       kind: .stock, target: 18, counts: categories([.intlCoopBase], level: .provincial)),
            PlanTarget(key: "external_centres", description: "external innovation centres", chinese: "域外创新中心", kind: .flow, target: 5,
                       targetMax: 10, counts: categories([.externalInnovationCenter])),
            PlanTarget(key: "application_scenarios", description: "application scenarios", chinese: "产业创新应用场景", kind: .flow, target: 10,
                       counts: categories([.applicationScenario])),
            PlanTarget(key: "scenarios_industrial", description: "of which industrial", chinese: "其中工业制造", kind: .flow, target: 3,
                       parent: "application_scenarios", counts: categories([.applicationScenario], subtype: "industrial")),
            PlanTarget(key: "scenarios_energy_environment", description: "of which energy and environment", chinese: "其中节能环保", kind: .flow,
                       target: 2, parent: "application_scenarios", counts: categories([.applicationScenario], subtype: "energy_environment")),
            PlanTarget(key: "scenarios_logistics", description: "of which logistics", chinese: "其中物流服务", kind: .flow, target: 3,
                       parent: "application_scenarios", counts: categories([.applicationScenario], subtype: "logistics")),
            PlanTarget(key: "scenarios_smart_agriculture", description: "of which smart agriculture", chinese: "其中智慧农业", kind: .flow, target: 2,
                       parent: "application_scenarios", counts: categories([.applicationScenario], subtype: "smart_agriculture")),
        ]
    }()
}
