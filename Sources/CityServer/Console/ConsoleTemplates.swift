/// The city console's pages as Mustache templates (swift-mustache), inside `ConsoleShell`'s layout.
/// `{{value}}` is escaped for HTML; `{{{value}}}` is used only for the page body and charts,
/// which the console renders itself with every value escaped (`HTML.escape`). The templates are
/// compiled into the binary, so the aggregator needs no files beside it.
enum ConsoleTemplates {
    static let sources: [(String, String)] = [
        ("counties", counties), ("county", county), ("progress", progress), ("awards", awards),
        ("decisions", decisions), ("platforms", platforms), ("record", record), ("history", history),
        ("disburse", disburse),
    ]

    static let history = """
        <table class="history"><thead><tr><th>时间 When</th><th>事件 What</th><th>经办人 Who</th><th>详情 Detail</th></tr></thead><tbody>
        {{#events}}<tr class="event-{{kind}}"><td>{{at}}</td><td>{{kindLabel}}</td><td class="actor">{{actor}}</td><td>{{detail}}</td></tr>{{/events}}
        {{^events}}<tr><td colspan="4" class="empty">无记录 no history</td></tr>{{/events}}
        </tbody></table>
        """

    static let counties = """
        <h1>各县区同步 Counties</h1>
        <p class="summary" id="county-summary">{{summary}}</p>
        <table class="counties" id="counties">
        <thead><tr><th>县区 County</th><th>状态 State</th><th>最近联系 Last contact</th><th>待推送 Backlog</th><th>最早待推送 Oldest change</th>
        <th>冲突 Conflicts</th><th>暂存 Parked</th><th>平台 Platforms</th><th>奖补 Awards</th><th>时钟偏差 Clock offset</th><th>证书到期 Certificate expiry</th><th>最近校验 Last verify</th></tr></thead>
        <tbody>
        {{#rows}}<tr class="state-{{stateClass}}" data-county="{{code}}">
        <td><a href="/console/counties/{{code}}">{{name}}</a> <span class="code">{{code}}</span></td>
        <td><span class="badge {{stateClass}}">{{stateLabel}}</span></td>
        <td>{{lastContact}}</td><td data-field="backlog">{{backlog}}</td><td>{{oldest}}</td>
        <td data-field="conflicts">{{conflicts}}</td><td data-field="parked">{{parked}}</td>
        <td data-field="platforms">{{platforms}}</td><td data-field="awards">{{awards}}</td>
        <td>{{clockOffset}}</td><td class="{{certClass}}">{{certificateExpiry}}</td><td>{{lastVerified}}</td></tr>
        {{/rows}}
        </tbody></table>
        """

    static let county = """
        <h1>{{name}} <span class="code">{{code}}</span></h1>
        <p><span class="badge {{stateClass}}">{{stateLabel}}</span> 最近联系 last contact {{lastContact}} · 平台 {{platforms}} platforms · 奖补 {{awards}} awards ·
        冲突 {{conflicts}} conflicts · 暂存 {{parked}} parked · <a href="/console/platforms?county={{code}}">平台列表 platforms</a> · <a href="/console/awards?county={{code}}">奖补列表 awards</a></p>
        <h2>节点 Replicas (nodes)</h2>
        <table id="nodes"><thead><tr><th>节点 Node</th><th>接纳 Admitted</th><th>已确认 Acknowledged seq</th><th>最近联系 Last contact</th><th>最近推送 Last push</th><th>最近拉取 Last pull</th><th>待推送 Backlog</th><th>最近错误 Last error</th></tr></thead><tbody>
        {{#nodes}}<tr><td class="mono">{{node}}</td><td>{{admittedAt}}<div class="note">{{admission}}</div></td><td>{{highWater}}</td><td>{{lastContact}}</td><td>{{lastPush}}</td><td>{{lastPull}}</td><td>{{pending}}</td><td>{{lastError}}</td></tr>{{/nodes}}
        {{^nodes}}<tr><td colspan="8" class="empty">从未联系 never seen: no replica of this county has reached the city</td></tr>{{/nodes}}
        </tbody></table>
        <h2>市局决定 The city's decisions</h2>
        <table id="county-decisions"><thead><tr><th>时间 When</th><th>操作员 By</th><th>记录 Record</th><th>决定 Decision</th></tr></thead><tbody>
        {{#decisions}}<tr><td>{{at}}</td><td>{{actor}}</td><td><a href="/console/records/{{rowId}}" class="mono">{{table}} {{rowId}}</a></td><td>{{detail}}</td></tr>{{/decisions}}
        {{^decisions}}<tr><td colspan="4" class="empty">无 none yet</td></tr>{{/decisions}}
        </tbody></table>
        <h2>待处理 Waiting for the city</h2>
        <p><a href="/console/decisions?county={{code}}">冲突与暂存 conflicts and parked changes of this county</a></p>
        """

    static let progress = """
        <h1>2025 目标进度 Progress toward 2025</h1>
        <p class="summary">截至 as of {{asOf}}；规划期已过 {{elapsedPercent}}% of the plan's period (2022-06-09 to 2025-12-31) · {{completeness}}</p>
        <table id="targets"><thead><tr><th>目标 Target</th><th>类型 Kind</th><th>目标数 Goal</th><th>已认定 Count</th><th>还差 Gap</th><th>应达 Expected today</th><th>进度 Pace</th><th>待认定 Registered</th></tr></thead><tbody>
        {{#targets}}<tr data-target="{{key}}" class="{{#child}}child{{/child}}"><td>{{chinese}} <span class="code">{{key}}</span></td><td>{{kindLabel}}</td>
        <td data-field="goal">{{goal}}</td><td data-field="count">{{count}}</td><td data-field="gap">{{gap}}</td><td data-field="expected">{{expected}}</td>
        <td><span class="badge {{paceClass}}">{{paceLabel}}</span></td><td data-field="registered">{{registered}}</td></tr>{{/targets}}
        </tbody></table>
        <h2>登记簿外的目标 Targets the register cannot count</h2>
        <p class="note">市局按年填报（syncctl figures set） entered by the city per year</p>
        <table id="entered"><thead><tr><th>目标 Target</th><th>目标值 Goal</th><th>现值 Standing</th><th>年度 Year</th><th></th></tr></thead><tbody>
        {{#entered}}<tr data-target="{{key}}"><td>{{chinese}} <span class="code">{{key}}</span></td><td>{{goal}}</td><td data-field="standing">{{standing}}</td><td>{{year}}</td><td><span class="badge {{badgeClass}}">{{badge}}</span></td></tr>{{/entered}}
        </tbody></table>
        <h2>县区 × 目标 County × target</h2>
        <table id="matrix" class="matrix"><thead><tr><th>目标 Target</th>{{#matrixHeaders}}<th title="{{code}}">{{name}}</th>{{/matrixHeaders}}</tr></thead><tbody>
        {{#matrix}}<tr data-target="{{key}}"><td title="{{key}}">{{chinese}}</td>{{#cells}}<td data-county="{{code}}" data-target="{{key}}">{{value}}</td>{{/cells}}</tr>{{/matrix}}
        </tbody></table>
        <h2>各目标图表 Charts</h2>
        <div class="charts">
        {{#charts}}<section class="chart-card" data-target="{{key}}"><h3>{{chinese}} <span class="code">{{key}}</span></h3>
        <p class="note">按县区 by county</p>{{{bars}}}
        <p class="note">累计认定 recognised over time (solid) vs. the plan's pace (dashed); the level is the goal</p>{{{pace}}}</section>{{/charts}}
        </div>
        """

    static let awards = """
        <h1>奖补资金 Awards</h1>
        <p class="actions" id="award-export">下载奖补明细（财政局） Download every award for the finance bureau:
        <a href="/console/awards/export?format=xlsx" download>Excel (.xlsx)</a> ·
        <a href="/console/awards/export?format=csv" download>CSV (UTF-8)</a> ·
        <a href="/console/awards/export?format=csv&amp;encoding=gb18030" download>CSV (GB18030)</a></p>
        <table id="money-total" class="money"><thead><tr><th></th><th>申报 Proposed</th><th>批准 Approved</th><th>拨付 Disbursed</th><th>驳回 Rejected</th></tr></thead><tbody>
        <tr><td>合计 Total (yuan)</td><td data-field="proposed">{{total.proposed}}</td><td data-field="approved">{{total.approved}}</td><td data-field="disbursed">{{total.disbursed}}</td><td data-field="rejected">{{total.rejected}}</td></tr>
        <tr><td>件数 Awards</td><td>{{counts.proposed}}</td><td>{{counts.approved}}</td><td>{{counts.disbursed}}</td><td>{{counts.rejected}}</td></tr>
        </tbody></table>
        {{#groups}}<h2>{{title}}</h2>
        <table class="money" id="money-{{id}}"><thead><tr><th></th><th>申报 Proposed</th><th>批准 Approved</th><th>拨付 Disbursed</th><th>驳回 Rejected</th></tr></thead><tbody>
        {{#rows}}<tr data-key="{{key}}"><td>{{label}}</td><td>{{proposed}}</td><td>{{approved}}</td><td>{{disbursed}}</td><td>{{rejected}}</td></tr>{{/rows}}
        </tbody></table>{{/groups}}
        <h2>异常 Flagged outliers</h2>
        <table id="outliers"><thead><tr><th>奖补 Award</th><th>县区 County</th><th>类别 Category</th><th>金额 Amount (yuan)</th><th>原因 Why</th></tr></thead><tbody>
        {{#outliers}}<tr><td><a class="mono" href="/console/records/{{awardId}}">{{awardId}}</a></td><td>{{county}}</td><td>{{category}}</td><td>{{amount}}</td><td>{{reason}}</td></tr>{{/outliers}}
        {{^outliers}}<tr><td colspan="5" class="empty">无 none</td></tr>{{/outliers}}
        </tbody></table>
        <h2>奖补列表 Award list</h2>
        <form method="get" action="/console/awards" class="search">
        <input type="search" name="q" value="{{query}}" placeholder="平台名称、编号 platform name or id" aria-label="search">
        <select name="status" aria-label="status"><option value="">全部状态 any status</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select>
        <input type="hidden" name="county" value="{{county}}"><button type="submit">查询 Search</button></form>
        <p class="note">{{listSummary}}</p>
        <table id="award-list"><thead><tr><th>奖补 Award</th><th>县区 County</th><th>平台 Platform</th><th>年度 Year</th><th>申报 Proposed</th><th>批准 Approved</th><th>状态 Status</th></tr></thead><tbody>
        {{#list}}<tr data-award="{{id}}"><td><a class="mono" href="/console/records/{{id}}">{{shortId}}</a></td><td>{{countyName}}</td><td>{{platformName}}</td><td>{{fiscalYear}}</td><td>{{amount}}</td><td>{{approved}}</td><td><span class="badge {{status}}">{{statusLabel}}</span></td></tr>{{/list}}
        {{^list}}<tr><td colspan="7" class="empty">无 none</td></tr>{{/list}}
        </tbody></table>
        """

    static let decisions = """
        <h1>待市局处理 Waiting for the city</h1>
        {{#done}}<p class="done" role="status">{{done}}</p>{{/done}}
        <h2>待第二人确认 Waiting for a second operator ({{pendingCount}})</h2>
        {{#pending}}<section class="item" id="pending-{{id}}" data-pending="{{id}}">
        <h3>{{countyName}} · <a class="mono" href="/console/records/{{recordId}}">{{action}} {{recordId}}</a></h3>
        <p>{{summary}} · 提出人 by <b>{{proposedBy}}</b> · {{proposedAt}}</p>
        {{#mine}}<p class="note">本人提出，须由另一名操作员确认 Yours: another operator confirms or refuses it.</p>{{/mine}}
        {{^mine}}<form method="post" action="/console/pending/{{id}}/confirm" class="inline"><input type="hidden" name="token" value="{{token}}"><button>确认 Confirm</button></form>
        <form method="post" action="/console/pending/{{id}}/refuse" class="inline"><input type="hidden" name="token" value="{{token}}"><label>不同意理由 Reason <input name="reason" required maxlength="1300"></label><button>不同意 Refuse</button></form>{{/mine}}
        </section>{{/pending}}
        {{^pending}}<p class="empty">无 none</p>{{/pending}}
        <h2>冲突 Open conflicts ({{conflictCount}})</h2>
        {{#conflicts}}<section class="item" id="conflict-{{id}}" data-conflict="{{id}}">
        <h3>{{countyName}} · <a class="mono" href="/console/records/{{rowId}}">{{table}} {{rowId}}</a> · {{column}}</h3>
        <p>保留 kept <b>{{winner}}</b> ({{winnerSide}}) · 落选 lost <b>{{loser}}</b> ({{loserSide}}) · 规则 rule {{rule}} · {{decidedAt}}</p>
        <form method="post" action="/console/conflicts/{{id}}/resolve" class="inline"><input type="hidden" name="token" value="{{token}}">
        <button name="keep" value="local">保留市局的值 Keep the city's value</button> <button name="keep" value="remote">保留县区的值 Keep the county's value</button></form>
        <details><summary>记录历史 History (explain)</summary>{{{history}}}</details></section>{{/conflicts}}
        {{^conflicts}}<p class="empty">无 none</p>{{/conflicts}}
        <h2>暂存的变更 Parked changes ({{parkedCount}})</h2>
        {{#parked}}<section class="item" id="parked-{{id}}" data-parked="{{id}}">
        <h3>{{countyName}} · <a class="mono" href="/console/records/{{rowId}}">{{table}} {{rowId}}</a> · {{op}}</h3>
        <p>原因 reason <b>{{reason}}</b>: {{message}} · {{parkedAt}}</p><p class="note">值 values: {{values}}</p>
        <form method="post" action="/console/parked/{{id}}/retry" class="inline"><input type="hidden" name="token" value="{{token}}"><button>重试 Retry</button></form>
        <form method="post" action="/console/parked/{{id}}/discard" class="inline"><input type="hidden" name="token" value="{{token}}"><button>放弃 Discard</button></form>
        <details><summary>记录历史 History (explain)</summary>{{{history}}}</details></section>{{/parked}}
        {{^parked}}<p class="empty">无 none</p>{{/parked}}
        """

    static let platforms = """
        <h1>平台 Platforms</h1>
        <form method="get" action="/console/platforms" class="search">
        <input type="search" name="q" value="{{query}}" placeholder="名称、依托单位、信用代码、编号 name, host, credit code or id" aria-label="search">
        <select name="status" aria-label="status"><option value="">全部状态 any status</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select>
        <select name="county" aria-label="county"><option value="">全部县区 all counties</option>{{#counties}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/counties}}</select>
        <button type="submit">查询 Search</button></form>
        <p class="note" id="platform-summary">{{summary}}</p>
        <table id="platform-list"><thead><tr><th>名称 Name</th><th>县区 County</th><th>类别 Category</th><th>级别 Level</th><th>依托单位 Host</th><th>认定日期 Recognised</th><th>状态 Status</th></tr></thead><tbody>
        {{#list}}<tr data-platform="{{id}}"><td><a href="/console/records/{{id}}">{{name}}</a></td><td>{{countyName}}</td><td>{{category}}</td><td>{{level}}</td><td>{{hostOrg}}</td><td>{{recognizedOn}}</td><td><span class="badge {{status}}">{{statusLabel}}</span></td></tr>{{/list}}
        {{^list}}<tr><td colspan="7" class="empty">无 none</td></tr>{{/list}}
        </tbody></table>
        <nav class="pages" id="platform-pages">{{#links}}<a href="{{href}}" rel="{{rel}}">{{label}}</a> {{/links}}</nav>
        """

    static let record = """
        <h1>{{heading}}</h1>
        {{#done}}<p class="done" role="status">{{done}}</p>{{/done}}
        <p class="mono">{{table}} {{id}} · <a href="/console/counties/{{county}}">{{countyName}}</a></p>
        <table class="fields" id="fields"><tbody>{{#fields}}<tr><th>{{name}}</th><td data-field="{{key}}">{{value}}</td></tr>{{/fields}}</tbody></table>
        {{#awardActions}}<h2>市局决定 Decide</h2><div class="actions">
        {{#canApprove}}<form method="post" action="/console/awards/{{id}}/approve" class="action" id="approve-form"><input type="hidden" name="token" value="{{token}}">
        <label>批准金额 Amount (yuan) <input name="amount" inputmode="decimal" value="{{proposedYuan}}" required></label>
        <label>说明 Override reason <input name="reason" placeholder="only where the plan's rule asks for one"></label>
        <label class="check"><input type="checkbox" name="confirm_above_ceiling" value="1"> 超过一事一议上限 above the case-by-case ceiling</label>
        <button type="submit">批准 Approve</button></form>{{/canApprove}}
        {{#canReject}}<form method="post" action="/console/awards/{{id}}/reject" class="action" id="reject-form"><input type="hidden" name="token" value="{{token}}">
        <label>驳回原因 Reason <input name="reason" required></label><button type="submit">驳回 Reject</button></form>{{/canReject}}
        {{#canDisburse}}<p class="action" id="disburse-link"><a href="/console/awards/{{id}}/disburse">登记拨付… Record disbursement… (确认页 on its own page)</a></p>{{/canDisburse}}
        {{#canReverse}}<form method="post" action="/console/awards/{{id}}/reverse" class="action" id="reverse-form"><input type="hidden" name="token" value="{{token}}">
        <p class="note">红冲：登记的拨付有误时撤回，奖补恢复为已批准、未拨付；原拨付与红冲均保留在决定记录中。 Reverse a payment recorded by mistake: the award is approved and unpaid again; both stay in the decision log.</p>
        <label>红冲理由 Reason <input name="reason" required maxlength="1300"></label>
        <label>输入批准金额以确认 Type the approved amount to confirm <input name="amount" required inputmode="decimal" autocomplete="off"></label>
        <button type="submit">红冲 Reverse payment</button></form>{{/canReverse}}
        </div>{{/awardActions}}
        {{#platformActions}}<h2>市局决定 Decide</h2><div class="actions">
        {{#canRecognize}}<form method="post" action="/console/platforms/{{id}}/recognize" class="action" id="recognize-form"><input type="hidden" name="token" value="{{token}}">
        <p class="note">认定日期为今天 recognised as of today</p>
        <label>认定文号 Recognition document's number <input name="doc" maxlength="64" placeholder="如 唐科字〔2025〕12号"></label>
        <label>如与同类平台疑似重复，确认为不同平台的理由 If it looks like another platform of its category: why they are two <input name="distinct_reason" maxlength="1300"></label>
        <button type="submit">认定 Recognise</button></form>{{/canRecognize}}
        {{#canEvaluate}}<form method="post" action="/console/platforms/{{id}}/evaluate" class="action" id="evaluate-form"><input type="hidden" name="token" value="{{token}}">
        <label>评价年度 Year <input name="year" type="number" min="2022" value="{{evaluationYear}}" required></label>
        <label>绩效评价结果 Result <select name="result" required><option value="excellent">优秀 excellent</option><option value="good">良好 good</option><option value="pass">合格 pass</option><option value="fail">不合格 fail</option></select></label>
        <label>更改结果的理由 Reason, when a year's result changes <input name="reason" maxlength="1300"></label>
        <button type="submit">登记评价 Record evaluation</button></form>{{/canEvaluate}}
        {{#canRevoke}}<form method="post" action="/console/platforms/{{id}}/revoke" class="action" id="revoke-form"><input type="hidden" name="token" value="{{token}}">
        <button type="submit">撤销 Revoke</button></form>{{/canRevoke}}
        </div>{{/platformActions}}
        {{#hasAwards}}<h2>奖补 Awards of this platform</h2>{{/hasAwards}}
        {{#awardsOfPlatform}}<p><a class="mono" href="/console/records/{{id}}">{{id}}</a> {{fiscalYear}} · {{amount}} yuan · {{statusLabel}}</p>{{/awardsOfPlatform}}
        <h2>记录历史 History (explain)</h2>
        <div id="history">{{{history}}}</div>
        """

    /// A payment is recorded on its own page, never where a decision's button was: the operator
    /// sees the amount, platform and date, and types the amount to confirm.
    static let disburse = """
        <h1>登记拨付 Record disbursement</h1>
        <table class="fields" id="fields"><tbody>
        <tr><th>平台 Platform</th><td data-field="platform">{{platform}}</td></tr>
        <tr><th>县区 County</th><td data-field="county">{{countyName}}</td></tr>
        <tr><th>奖补 Award</th><td data-field="award" class="mono">{{id}}</td></tr>
        <tr><th>批准金额 Approved (yuan)</th><td data-field="approved_amount">{{approvedYuan}}</td></tr>
        </tbody></table>
        <form method="post" action="/console/awards/{{id}}/disburse" class="action" id="disburse-form"><input type="hidden" name="token" value="{{token}}">
        <label>拨付日期 Paid on <input name="on" type="date" value="{{today}}" max="{{today}}" required></label>
        <label>输入批准金额以确认 Type the approved amount (yuan) to confirm <input name="confirm_amount" inputmode="decimal" autocomplete="off" required></label>
        <button type="submit">确认拨付 Confirm payment</button></form>
        <p><a href="/console/records/{{id}}">取消 Cancel</a></p>
        """
}
