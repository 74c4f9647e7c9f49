/// One of the plan's 2025 targets and which platforms count toward it.
public struct PlanTarget: Sendable {
    /// Stable key, e.g. `key_labs`.
    public let key: String
    /// What the plan counts.
    public let description: String
    /// The target (the lower bound of a range such as "3 to 5").
    public let target: Int
    /// The upper bound of a range target.
    public let targetMax: Int?
    /// Whether a platform counts toward the target.
    public let counts: @Sendable (Platform) -> Bool

    /// Creates a target.
    public init(key: String, description: String, target: Int, targetMax: Int? = nil, counts: @escaping @Sendable (Platform) -> Bool) {
        self.key = key
        self.description = description
        self.target = target
        self.targetMax = targetMax
        self.counts = counts
    }

    /// The targets of POLICY.md that the platform register can count. Technology-contract turnover,
    /// agricultural commissioners and leading enterprises, and the high-tech industry share are not
    /// in the register and are left out.
    public static let tangshan2025: [PlanTarget] = {
        func categories(_ set: Set<PlatformCategory>, level minimum: Level? = nil) -> @Sendable (Platform) -> Bool {
            { platform in
                guard set.contains(platform.category) else { return false }
                guard let minimum else { return true }
                guard let level = platform.level else { return false }
                return level >= minimum
            }
        }
        let centres: Set<PlatformCategory> = [.techInnovationCenter, .engineeringResearchCenter, .enterpriseTechCenter]
        return [
            PlanTarget(key: "high_tech_enterprises", description: "high-tech enterprises", target: 1_800, counts: categories([.highTechEnterprise])),
            PlanTarget(key: "tech_smes", description: "tech SMEs", target: 14_000, counts: categories([.techSME])),
            PlanTarget(key: "rd_platforms", description: "new municipal-or-higher R&D platforms", target: 100,
                       counts: categories(centres.union([.keyLab, .industrialTechInstitute]), level: .municipal)),
            PlanTarget(key: "key_labs", description: "  of which key labs", target: 15, counts: categories([.keyLab], level: .municipal)),
            PlanTarget(key: "innovation_centres", description: "  of which innovation / engineering / enterprise centres", target: 70,
                       counts: categories(centres, level: .municipal)),
            PlanTarget(key: "industrial_institutes", description: "  of which industrial tech institutes", target: 10,
                       counts: categories([.industrialTechInstitute], level: .municipal)),
            PlanTarget(key: "new_rd_institutions", description: "provincial new R&D institutions", target: 5, counts: categories([.newRDInstitution])),
            PlanTarget(key: "pilot_bases", description: "municipal pilot bases", target: 3, targetMax: 5, counts: categories([.pilotBase])),
            PlanTarget(key: "innovation_parks", description: "municipal tech innovation parks", target: 10, counts: categories([.techInnovationPark])),
            PlanTarget(key: "industry_alliances", description: "municipal-or-higher industry alliances", target: 24, counts: categories([.industryAlliance])),
            PlanTarget(key: "star_spaces", description: "provincial-or-higher star innovation spaces", target: 30,
                       counts: categories([.starInnovationSpace], level: .provincial)),
            PlanTarget(key: "incubators_makerspaces", description: "incubators and makerspaces", target: 90, counts: categories([.incubator, .makerspace])),
            PlanTarget(key: "tech_transfer_agencies", description: "provincial-or-higher tech transfer agencies", target: 12,
                       counts: categories([.techTransferAgency], level: .provincial)),
            PlanTarget(key: "academician", description: "academician workstations and partner units", target: 20,
                       counts: categories([.academicianWorkstation, .academicianPartner])),
            PlanTarget(key: "postdoc", description: "postdoc stations and bases", target: 40, counts: categories([.postdocStation, .postdocBase])),
            PlanTarget(key: "intl_coop_bases", description: "provincial-or-higher international cooperation bases", target: 18,
                       counts: categories([.intlCoopBase], level: .provincial)),
            PlanTarget(key: "external_centres", description: "external innovation centres", target: 5, targetMax: 10,
                       counts: categories([.externalInnovationCenter])),
            PlanTarget(key: "application_scenarios", description: "application scenarios", target: 10, counts: categories([.applicationScenario])),
        ]
    }()
}
