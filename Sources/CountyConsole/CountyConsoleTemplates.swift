/// The county console's pages as Mustache templates, inside `ConsoleShell`'s layout. `{{value}}`
/// is escaped for HTML; `{{{value}}}` only for the page body the console renders itself.
enum CountyConsoleTemplates {
    static let sources: [(String, String)] = [
        ("overview", overview), ("platforms", platforms), ("platform-form", platformForm), ("record", record), ("history", history), ("refusal", refusal), ("awards", awards), ("withdraw", withdraw), ("decisions", decisions), ("manage-platform", managePlatform), ("award-list", awardList),
        ("import", importForm), ("import-outcome", importOutcome),
    ]

    static let overview = """
        <h1>概览 Today</h1>
        <section id="city" class="{{cityClass}}">
        <h2>与市里 The city</h2>
        <p id="city-state">{{cityState}}</p>
        {{#lastError}}<p class="error" id="last-error">上次同步失败 the last attempt failed: {{lastError}}</p>{{/lastError}}
        </section>
        <section id="outbox">
        <h2>待发送 Waiting to be sent</h2>
        <p id="pending">{{pendingText}}</p>
        </section>
        <section id="needs">
        <h2>需要处理 Needs your action</h2>
        <ul>{{#needs}}<li>{{.}}</li>{{/needs}}{{^needs}}<li class="empty">无 nothing</li>{{/needs}}</ul>
        </section>
        <section>
        <h2>市局决定 What the city decided{{#sinceVisit}} since your last visit ({{sinceVisit}}){{/sinceVisit}}</h2>
        <table id="city-decisions"><thead><tr><th>时间 When</th><th>记录 Record</th><th>决定 What</th><th>经办人 Who</th></tr></thead><tbody>
        {{#decisions}}<tr class="{{#new}}new{{/new}}"><td>{{at}}</td><td><a class="mono" href="/console/records/{{rowId}}">{{label}}</a></td><td>{{what}}</td><td class="actor">{{actor}}</td></tr>{{/decisions}}
        {{^decisions}}<tr><td colspan="4" class="empty">无 none yet</td></tr>{{/decisions}}
        </tbody></table>
        </section>
        """

    static let platforms = """
        <h1>平台 Platforms</h1>
        <form method="get" action="/console/platforms" class="search">
        <label>名称或统一社会信用代码 Name or credit code <input name="q" value="{{query}}"></label>
        <button type="submit">查找 Search</button> <a href="/console/platforms/new" class="button" id="register">登记新平台 Register a platform</a>
        </form>
        <p class="summary" id="platform-count">{{summary}}</p>
        <table id="platforms"><thead><tr><th>名称 Name</th><th>类别 Category</th><th>级别 Level</th><th>统一社会信用代码 Credit code</th><th>状态 Status</th></tr></thead><tbody>
        {{#rows}}<tr data-id="{{id}}"><td><a href="/console/records/{{id}}">{{name}}</a></td><td>{{category}}</td><td>{{level}}</td><td class="mono">{{creditCode}}</td><td>{{status}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="5" class="empty">无 none</td></tr>{{/rows}}
        </tbody></table>
        """

    static let platformForm = """
        <h1>{{heading}}</h1>
        {{#problem}}<p class="error" role="alert" id="form-problem">{{problem}}</p>{{/problem}}
        <form method="post" action="{{action}}" id="platform-form">
        <input type="hidden" name="token" value="{{token}}">
        {{#fields}}
        <div class="field{{#error}} invalid{{/error}}" data-field="{{name}}">
        <label for="f-{{name}}">{{label}}</label>
        {{#select}}<select id="f-{{name}}" name="{{name}}">{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/options}}</select>{{/select}}
        {{^select}}<input id="f-{{name}}" name="{{name}}" value="{{value}}" maxlength="{{maxLength}}"{{#required}} required{{/required}}>{{/select}}
        {{#error}}<span class="error field-error" id="error-{{name}}">{{error}}</span>{{/error}}
        {{#hint}}<span class="note">{{hint}}</span>{{/hint}}
        </div>
        {{/fields}}
        <button type="submit">{{submit}}</button>
        </form>
        """

    static let record = """
        <h1>{{title}}</h1>
        <table class="fields" id="record-fields"><tbody>
        {{#fields}}<tr><th>{{label}}</th><td data-field="{{name}}">{{value}}{{#cityOwned}} <span class="note">市局填写 set by the city</span>{{/cityOwned}}</td></tr>{{/fields}}
        </tbody></table>
        {{{actions}}}
        {{{awards}}}
        <h2>记录 History</h2>
        {{{history}}}
        """

    static let decisions = """
        <h1>城市决定 The city's decisions</h1>
        <h2>认定、批准与未通过 Recognitions, approvals and rejections</h2>
        <table id="decisions"><thead><tr><th>时间 When</th><th>记录 Record</th><th>决定 Decision</th><th>经办人 Who</th></tr></thead><tbody>
        {{#decisions}}<tr><td>{{at}}</td><td><a href="/console/records/{{rowId}}">{{label}}</a></td><td>{{what}}</td><td class="actor">{{actor}}</td></tr>{{/decisions}}
        {{^decisions}}<tr><td colspan="4" class="empty">无 none yet</td></tr>{{/decisions}}
        </tbody></table>
        <h2>被退回的修改 Changes the city refused</h2>
        <table id="parked"><thead><tr><th>时间 When</th><th>记录 Record</th><th>原因 Reason</th><th>怎么办 What to do</th></tr></thead><tbody>
        {{#parked}}<tr data-reason="{{reason}}"><td>{{at}}</td><td><a href="/console/records/{{rowId}}">{{label}}</a></td><td>{{message}}</td><td>{{advice}}</td></tr>{{/parked}}
        {{^parked}}<tr><td colspan="4" class="empty">无 none</td></tr>{{/parked}}
        </tbody></table>
        <h2>冲突 Conflicts</h2>
        <table id="conflicts"><thead><tr><th>时间 When</th><th>记录 Record</th><th>字段 Field</th><th>保留 Kept</th><th>未采用 Not kept</th><th>状态 State</th></tr></thead><tbody>
        {{#conflicts}}<tr class="{{#resolved}}resolved{{/resolved}}"><td>{{at}}</td><td><a href="/console/records/{{rowId}}">{{label}}</a></td><td>{{column}}</td><td>{{kept}}</td><td>{{lost}}</td><td>{{state}}</td></tr>{{/conflicts}}
        {{^conflicts}}<tr><td colspan="6" class="empty">无 none</td></tr>{{/conflicts}}
        </tbody></table>
        """

    static let managePlatform = """
        <p><a class="button" href="/console/platforms/{{id}}/edit" id="edit">修改 Edit</a></p>
        <form method="post" action="/console/platforms/{{id}}/delete" id="delete-form">
        <input type="hidden" name="token" value="{{token}}">
        <label><input type="checkbox" name="confirm" value="yes" required> 确认删除此平台 I mean to delete this platform</label>
        <button type="submit">删除 Delete</button>
        </form>
        """

    static let awardList = """
        <h1>奖补 Awards</h1>
        <p class="summary" id="award-count">{{summary}}。申报请在平台页面进行 — propose on a platform's page.</p>
        <table id="award-list"><thead><tr><th>编号 Id</th><th>平台 Platform</th><th>申报 Proposed (元)</th><th>批准 Approved (元)</th><th>年度 Year</th><th>状态 Status</th><th>理由 Reason</th></tr></thead><tbody>
        {{#rows}}<tr data-id="{{id}}"><td><a class="mono" href="/console/records/{{id}}">{{id}}</a></td><td><a href="/console/records/{{platformId}}">{{platform}}</a></td>
        <td data-field="amount">{{amount}}</td><td data-field="approved">{{approved}}</td><td>{{year}}</td><td>{{status}}</td><td>{{reason}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="7" class="empty">无 none</td></tr>{{/rows}}
        </tbody></table>
        """

    static let withdraw = """
        <form method="post" action="/console/awards/{{id}}/withdraw" id="withdraw-form">
        <input type="hidden" name="token" value="{{token}}">
        <button type="submit">撤回申报 Withdraw this proposal</button>
        </form>
        """

    static let awards = """
        <h2>奖补 Awards</h2>
        <table id="awards"><thead><tr><th>编号 Id</th><th>金额 Amount (元)</th><th>年度 Year</th><th>状态 Status</th></tr></thead><tbody>
        {{#rows}}<tr data-id="{{id}}"><td><a class="mono" href="/console/records/{{id}}">{{id}}</a></td><td>{{amount}}</td><td>{{year}}</td><td>{{status}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="4" class="empty">无 none</td></tr>{{/rows}}
        </tbody></table>
        {{#canPropose}}
        <h2>申报奖补 Propose an award</h2>
        <p id="award-rule">规则 Rule: {{rule}} ({{clause}})</p>
        <p id="award-cap">{{cap}}</p>
        {{#problem}}<p class="error" role="alert" id="award-problem">{{problem}}</p>{{/problem}}
        <form method="post" action="/console/awards" id="award-form">
        <input type="hidden" name="token" value="{{token}}">
        <input type="hidden" name="platform" value="{{platformId}}">
        <div class="field{{#amountError}} invalid{{/amountError}}"><label for="f-amount">金额（元） Amount in yuan</label>
        <input id="f-amount" name="amount" value="{{amount}}" inputmode="decimal" data-wan="wan-amount" required> <output id="wan-amount" class="note"></output>
        {{#amountError}}<span class="error field-error" id="error-amount">{{amountError}}</span>{{/amountError}}</div>
        {{#needsBasis}}<div class="field{{#basisError}} invalid{{/basisError}}"><label for="f-basis">依据金额（元） Basis in yuan</label>
        <input id="f-basis" name="basis" value="{{basis}}" inputmode="decimal" data-wan="wan-basis"> <output id="wan-basis" class="note"></output>
        {{#basisError}}<span class="error field-error" id="error-basis">{{basisError}}</span>{{/basisError}}</div>
        <div class="field{{#basisRefError}} invalid{{/basisRefError}}"><label for="f-basis-ref">依据编号 Basis reference</label>
        <input id="f-basis-ref" name="basis-ref" value="{{basisRef}}">
        {{#basisRefError}}<span class="error field-error" id="error-basis-ref">{{basisRefError}}</span>{{/basisRefError}}</div>{{/needsBasis}}
        <div class="field{{#yearError}} invalid{{/yearError}}"><label for="f-fiscal-year">年度 Fiscal year</label>
        <select id="f-fiscal-year" name="fiscal-year">{{#years}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/years}}</select>
        {{#yearError}}<span class="error field-error" id="error-fiscal-year">{{yearError}}</span>{{/yearError}}</div>
        <div class="field"><label for="f-remarks">备注 Remarks</label><input id="f-remarks" name="remarks" value="{{remarks}}"></div>
        {{#confirmable}}<div class="field"><label><input type="checkbox" name="confirm-above-ceiling" value="yes"> 确认超过上限 confirm a total above the ceiling</label></div>{{/confirmable}}
        <button type="submit">申报 Propose</button>
        </form>
        {{/canPropose}}
        """

    static let history = """
        <table class="history" id="history"><thead><tr><th>时间 When</th><th>事件 What</th><th>经办人 Who</th><th>详情 Detail</th></tr></thead><tbody>
        {{#events}}<tr class="event-{{kind}}"><td>{{at}}</td><td>{{kind}}</td><td class="actor">{{actor}}</td><td>{{detail}}</td></tr>{{/events}}
        {{^events}}<tr><td colspan="4" class="empty">无记录 no history</td></tr>{{/events}}
        </tbody></table>
        """

    static let refusal = """
        <!doctype html>
        <html lang="zh-CN">
        <head><meta charset="utf-8"><title>无权访问 Not allowed · County Sync</title>
        <link rel="stylesheet" href="/console/static/console.css"></head>
        <body><main>
        <h1>无权访问 Not allowed</h1>
        <p class="error" role="alert" id="refusal">{{message}}</p>
        <p>本页面只对本县区的录入员开放：请使用县区科技部门发给您的录入员证书（clerk-{{county}}-姓名）。
        This console is for the clerks of county {{county}} only: use the clerk certificate your county's IT admin issued you (CN=clerk-{{county}}-NAME).</p>
        </main></body></html>
        """
}

extension CountyConsoleTemplates {
    static let importForm = """
        <h1>导入 Import a sheet</h1>
        <p>Excel 或 WPS 保存的 .xlsx 或 CSV（GB18030、UTF-8 或 UTF-16 均可）；列标题与导出的表格相同。先预览，确认后才写入，全部成功或全部不写。
        An .xlsx or CSV as Excel or WPS saves it; the headings of the exported sheets. You see a preview first; nothing is written until you confirm, and then all or nothing.</p>
        <form method="post" action="/console/import" enctype="multipart/form-data" id="import-form">
        <input type="hidden" name="token" value="{{token}}">
        <div class="field"><label for="f-kind">内容 What the sheet holds</label>
        <select id="f-kind" name="kind">{{#kinds}}<option value="{{value}}">{{label}}</option>{{/kinds}}</select></div>
        <div class="field"><label for="f-file">文件 File</label><input id="f-file" type="file" name="file" accept=".xlsx,.csv,.txt" required></div>
        <button type="submit">预览 Preview</button>
        </form>
        """

    static let importOutcome = """
        <h1>导入 {{kind}}：{{filename}}</h1>
        <p class="{{#refused}}error{{/refused}}{{^refused}}summary{{/refused}}" id="import-summary" role="status">{{summary}}</p>
        <table id="import-lines"><thead><tr><th>行 Line</th><th>结果 Outcome</th><th>记录 Record</th><th>名称或原因 Name or reason</th></tr></thead><tbody>
        {{#lines}}<tr class="{{outcomeClass}}" data-line="{{line}}"><td>{{line}}</td><td>{{outcome}}</td>
        <td>{{#link}}<a class="mono" href="/console/records/{{id}}">{{id}}</a>{{/link}}{{^link}}<span class="mono">{{id}}</span>{{/link}}</td><td>{{name}}</td></tr>{{/lines}}
        </tbody></table>
        {{#confirmable}}
        <form method="post" action="/console/import/confirm" id="import-confirm">
        <input type="hidden" name="token" value="{{token}}">
        <input type="hidden" name="upload" value="{{upload}}">
        <button type="submit">确认导入 Import it</button>
        </form>
        {{/confirmable}}
        <p><a href="/console/import">上传另一份 Upload another sheet</a></p>
        """
}
