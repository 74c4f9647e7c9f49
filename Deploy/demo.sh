#!/usr/bin/env bash
# The main job on one machine: three county replicas enter sample platforms and awards of
# the plan's categories offline, then show what they hold and what waits to be synced.
# Leaves its databases in ./demo-run (removed and made anew on every run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh
swift build --product syncctl
syncctl="$(swift build --show-bin-path)/syncctl"
run=demo-run
rm -rf "$run"
mkdir -p "$run"

# A valid unified social credit code (GB 32100-2015) from a 17-character prefix.
credit_code() {
  python3 - "$1" <<'PY'
import sys
alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
prefix = sys.argv[1]
total = sum(alphabet.index(c) * w for c, w in zip(prefix, weights))
print(prefix + alphabet[(31 - total % 31) % 31])
PY
}

add() {  # add DB NAME CATEGORY LEVEL HOST PREFIX INDUSTRY [extra flags...]
  local db=$1 name=$2 category=$3 level=$4 host=$5 prefix=$6 industry=$7
  shift 7
  "$syncctl" platform add --db "$db" --name "$name" --category "$category" ${level:+--level "$level"} \
    --host-org "$host" --credit-code "$(credit_code "$prefix")" --industry "$industry" "$@"
}

for county in 130202 130209 130283; do
  "$syncctl" init --db "$run/$county.db" --county "$county"
done

db=$run/130202.db   # 路南区
lab=$(add "$db" "唐山市焊接技术重点实验室" key_lab municipal "唐山开元焊接研究所" 91130202MA0A00011 焊接)
"$syncctl" award propose --db "$db" --platform "$lab" --amount 100000 --fiscal-year 2025 >/dev/null
incubator=$(add "$db" "路南科技企业孵化器" incubator provincial "唐山路南科创发展有限公司" 91130202MA0A00022 电子信息)
"$syncctl" award propose --db "$db" --platform "$incubator" --amount 300000 --fiscal-year 2025 >/dev/null
add "$db" "唐山智能仪表有限公司" high_tech_enterprise "" "唐山智能仪表有限公司" 91130202MA0A00033 智能仪器仪表 --subtype new >/dev/null

db=$run/130209.db   # 曹妃甸区
pilot=$(add "$db" "曹妃甸钢铁新材料中试基地" pilot_base municipal "首钢京唐钢铁联合有限责任公司" 91130209MA0B00011 钢铁新材料)
"$syncctl" award propose --db "$db" --platform "$pilot" --amount 2400000 --basis 8000000 --fiscal-year 2025 >/dev/null
add "$db" "曹妃甸港口物流应用场景" application_scenario "" "唐山曹妃甸实业港务有限公司" 91130209MA0B00022 现代物流 --subtype logistics >/dev/null
alliance=$(add "$db" "唐山海洋经济产业技术创新战略联盟" industry_alliance municipal "唐山海洋牧场实业有限公司" 91130209MA0B00033 海洋经济)
"$syncctl" award propose --db "$db" --platform "$alliance" --amount 100000 --fiscal-year 2025 >/dev/null

db=$run/130283.db   # 迁安市
agency=$(add "$db" "迁安技术转移服务中心" tech_transfer_agency provincial "迁安市科技服务有限公司" 91130283MA0C00011 钢铁冶金)
"$syncctl" award propose --db "$db" --platform "$agency" --amount 150000 --basis 150000000 --fiscal-year 2025 >/dev/null
add "$db" "迁安市钢铁冶金工程研究中心" engineering_research_center provincial "河北津西钢铁集团股份有限公司" 91130283MA0C00022 钢铁冶金 --recognized-on 2021-11-20 >/dev/null
station=$(add "$db" "迁安博士后科研工作站" postdoc_station "" "迁安市九江线材有限责任公司" 91130283MA0C00033 金属材料)
"$syncctl" award propose --db "$db" --platform "$station" --amount 200000 --fiscal-year 2025 >/dev/null

# A rule the plan sets is enforced at entry: a municipal key lab gets at most 100,000 yuan.
if "$syncctl" award propose --db "$run/130202.db" --platform "$lab" --amount 150000 2>"$run/refused.txt"; then
  echo "an award above its cap was accepted" >&2
  exit 1
fi
echo "refused as expected: $(cat "$run/refused.txt")"

for county in 130202 130209 130283; do
  echo
  echo "== county $county"
  "$syncctl" platform list --db "$run/$county.db"
  "$syncctl" award list --db "$run/$county.db"
  echo "waiting for the city: $("$syncctl" outbox --db "$run/$county.db" --json | grep -c '"seq"') captured changes"
done
"$syncctl" export platforms --db "$run/130202.db" "$run/130202-platforms.csv"
echo
echo "exported $run/130202-platforms.csv; databases are in $run/"
