#!/usr/bin/env bash
# The main job on one machine: a city aggregator and three county daemons on loopback, with
# fresh certificates. The counties enter platforms and awards of the plan's categories, the
# daemons push them over HTTPS (mutual TLS), the city recognises and approves, a county and the
# city edit the same platform at once, and everything converges. Stops all it started.
# Leaves its files in ./demo-run (made anew on every run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Deploy/install-deps.sh
swift build --product syncctl
swift build --product county-syncd
swift build --product city-aggregator
bin="$(swift build --show-bin-path)"
syncctl="$bin/syncctl"
run=demo-run
rm -rf "$run"
mkdir -p "$run"
counties=(130202 130209 130283)
pids=()
declare -A daemon
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $what" >&2
  exit 1
}

echo "== certificates (Deploy/pki.sh)"
bash Deploy/pki.sh ca "$run/pki" >/dev/null
bash Deploy/pki.sh server "$run/pki" localhost 127.0.0.1 >/dev/null
for county in "${counties[@]}"; do bash Deploy/pki.sh county "$run/pki" "$county" >/dev/null; done
P12_PASSWORD=demo bash Deploy/pki.sh operator "$run/pki" demo >/dev/null   # the city console's certificate

echo "== city aggregator"
"$bin/city-aggregator" --db "$run/city.db" --listen 127.0.0.1:0 --port-file "$run/city.port" \
  --cert "$run/pki/server.pem" --key "$run/pki/server.key" --client-ca "$run/pki/ca.pem" 2>"$run/city.log" &
pids+=($!)
wait_for 30 "the aggregator" test -s "$run/city.port"
city="https://127.0.0.1:$(cat "$run/city.port")"
echo "listening at $city"

start_daemon() {
  "$bin/county-syncd" --db "$run/$1.db" --city "$city" --ca "$run/pki/ca.pem" \
    --cert "$run/pki/county-$1.pem" --key "$run/pki/county-$1.key" --pull-interval 1 2>>"$run/county-$1.log" &
  daemon[$1]=$!
  pids+=($!)
}

echo "== county replicas and daemons"
for county in "${counties[@]}"; do
  "$syncctl" init --db "$run/$county.db" --county "$county"
  start_daemon "$county"
done

add() {  # add DB NAME CATEGORY LEVEL HOST CREDIT_CODE INDUSTRY [extra flags...]: prints the new id
  local db=$1 name=$2 category=$3 level=$4 host=$5 code=$6 industry=$7
  shift 7
  "$syncctl" platform add --db "$db" --name "$name" --category "$category" ${level:+--level "$level"} \
    --host-org "$host" --credit-code "$code" --industry "$industry" "$@"
}

echo "== data entry at the counties"
db=$run/130202.db   # 路南区
lab=$(add "$db" "唐山市焊接技术重点实验室" key_lab municipal "唐山开元焊接研究所" 91130202MA0A00011Y 焊接)
lab_award=$("$syncctl" award propose --db "$db" --platform "$lab" --amount 100000 --fiscal-year 2025)
incubator=$(add "$db" "路南科技企业孵化器" incubator provincial "唐山路南科创发展有限公司" 91130202MA0A000223 电子信息)
"$syncctl" award propose --db "$db" --platform "$incubator" --amount 300000 --fiscal-year 2025 >/dev/null
add "$db" "唐山智能仪表有限公司" high_tech_enterprise "" "唐山智能仪表有限公司" 91130202MA0A000337 智能仪器仪表 --subtype new >/dev/null

db=$run/130209.db   # 曹妃甸区
pilot=$(add "$db" "曹妃甸钢铁新材料中试基地" pilot_base municipal "首钢京唐钢铁联合有限责任公司" 91130209MA0B00011N 钢铁新材料)
"$syncctl" award propose --db "$db" --platform "$pilot" --amount 2400000 --basis 8000000 --basis-ref "曹妃甸发改投资〔2025〕17号" --fiscal-year 2025 >/dev/null
add "$db" "曹妃甸港口物流应用场景" application_scenario "" "唐山曹妃甸实业港务有限公司" 91130209MA0B00022T 现代物流 --subtype logistics >/dev/null
alliance=$(add "$db" "唐山海洋经济产业技术创新战略联盟" industry_alliance municipal "唐山海洋牧场实业有限公司" 91130209MA0B00033Y 海洋经济)
"$syncctl" award propose --db "$db" --platform "$alliance" --amount 100000 --fiscal-year 2025 >/dev/null

db=$run/130283.db   # 迁安市
agency=$(add "$db" "迁安技术转移服务中心" tech_transfer_agency provincial "迁安市科技服务有限公司" 91130283MA0C00011E 钢铁冶金)
"$syncctl" award propose --db "$db" --platform "$agency" --amount 150000 --basis 150000000 --basis-ref 1302832025000123 --fiscal-year 2025 >/dev/null
add "$db" "迁安市钢铁冶金工程研究中心" engineering_research_center provincial "河北津西钢铁集团股份有限公司" 91130283MA0C00022J 钢铁冶金 >/dev/null
station=$(add "$db" "迁安博士后科研工作站" postdoc_station "" "迁安市九江线材有限责任公司" 91130283MA0C00033N 金属材料)
"$syncctl" award propose --db "$db" --platform "$station" --amount 200000 --fiscal-year 2025 >/dev/null

# A rule the plan sets is enforced at entry: a municipal key lab gets at most 100,000 yuan.
if "$syncctl" award propose --db "$run/130202.db" --platform "$lab" --amount 150000 --fiscal-year 2025 2>"$run/refused.txt"; then
  echo "an award above its cap was accepted" >&2
  exit 1
fi
echo "refused as expected: $(cat "$run/refused.txt")"

pending() { "$syncctl" outbox --db "$1" --json | grep -c '"seq"' || true; }
all_pushed() { for county in "${counties[@]}"; do [ "$(pending "$run/$county.db")" = 0 ] || return 1; done; }
wait_for 60 "the counties to push" all_pushed
echo "every county's changes are at the city"

echo "== county 130202 goes offline; the city recognises, approves, and both edit the same platform"
kill -TERM "${daemon[130202]}"
wait "${daemon[130202]}" 2>/dev/null || true
"$syncctl" platform recognize --db "$run/city.db" "$lab"
"$syncctl" award approve --db "$run/city.db" "$lab_award" --amount 80000
"$syncctl" platform update --db "$run/city.db" "$lab" --contact "市科技局 王工"
"$syncctl" platform update --db "$run/130202.db" "$lab" --contact "路南区科技局 李工"
"$syncctl" award update --db "$run/130202.db" "$lab_award" --remarks "县里补充材料" 2>&1 || true
echo "== county 130202 back online"
start_daemon 130202
in_step() {  # the county and the city show the same contact and the approval reached the county
  local here there
  here=$("$syncctl" platform show --db "$run/130202.db" "$lab" --json | grep '"contact"')
  there=$("$syncctl" platform show --db "$run/city.db" "$lab" --json | grep '"contact"')
  [ "$here" = "$there" ] && "$syncctl" award list --db "$run/130202.db" --json | grep -q '"approved"' && all_pushed
}
wait_for 60 "county and city to agree" in_step

echo
echo "== the city's view"
"$syncctl" platform list --db "$run/city.db"
echo
"$syncctl" award list --db "$run/city.db"
echo
echo "conflicts kept at the city (both values, the rule that decided):"
"$syncctl" conflicts --db "$run/city.db"
echo
echo "the same conflict at county 130202:"
"$syncctl" conflicts --db "$run/130202.db"
echo
echo "county 130202's edit of the award the city had approved meanwhile, parked with its reason:"
"$syncctl" parked --db "$run/130202.db"
echo
echo "county 130202 against the city:"
"$syncctl" verify --db "$run/130202.db" --city "$city" --ca "$run/pki/ca.pem" \
  --cert "$run/pki/county-130202.pem" --key "$run/pki/county-130202.key"
echo
echo "== syncctl status at the city"
"$syncctl" status --db "$run/city.db"
echo
echo "== the city console"
echo "served at $city/console to operator certificates: $run/pki/operator-demo.p12 (password: demo)"
if [ -n "${HOLD:-}" ]; then
  echo "holding for $HOLD s (HOLD): import the .p12 and $run/pki/ca.pem into a browser and open the URL"
  sleep "$HOLD"
else
  echo "(run with HOLD=600 to keep everything running for ten minutes and open it)"
fi
echo
echo "stopping; files are in $run/"
