//! Deterministic generator of prefecture returns for the benchmarks (issue 6).
//!
//! ```text
//! cargo run --release --example gen_ledgers -- --out DIR --files 21 --rows N [--messy] [--seed S]
//!     [--period 2018Q3] [--shared-strings]
//! ```
//!
//! Writes one xlsx per prefecture, named `<period>-<canonical name>-质量提升台账.xlsx`, each with `--rows`
//! ledger rows. The same arguments always give the same cell contents (a fixed-seed xorshift PRNG, no
//! clock, no hashing of addresses).
//!
//! * Clean mode is the template's 附件2 layout: title on row 1, the 填报市州 / 填报日期 / 填报人 / 联系电话 line
//!   on row 2 (填报日期 a real date cell), the nine official headers on row 3, data from row 4.
//! * `--messy` varies the layout per file, deterministically, the way returns really come back: the header
//!   on row 1–5 under a title, renamed headers (企业名称, 所属行业, "进展情况\n及成效"), reordered columns, an
//!   extra 备注 column, 所属行业 merged down over runs of 2–4 rows, a blank row every ~50 rows, full-width
//!   letters in some enterprise names, a different sheet name, and notes under the table.
//!
//! Worksheets are written in rust_xlsxwriter's constant-memory mode (rows streamed to a temp file, strings
//! inline), so a million rows take seconds and little memory. `--shared-strings` uses the low-memory mode
//! instead: rows still streamed, strings in a shared string table as Excel and WPS save them.
//!
//! Text is only ever written with `write_string` (never a formula), and the enterprise names and
//! 统一社会信用代码 are unique across the corpus so that the returns are valid (no duplicate findings).

use std::path::PathBuf;
use std::process::ExitCode;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

#[derive(serde::Deserialize)]
struct PrefecturesToml {
    prefectures: Vec<Prefecture>,
}

#[derive(serde::Deserialize, Clone)]
struct Prefecture {
    name: String,
    short: String,
    code: String,
}

#[derive(serde::Deserialize)]
struct LedgerToml {
    industries: Vec<String>,
}

/// xorshift64*: small, fast, good enough for test data, and identical on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed so that nearby seeds give unrelated streams; never zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 32) * n as u64 >> 32) as usize
    }
    fn range(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + self.below(hi_inclusive - lo + 1)
    }
    /// True with probability p.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

// ---- Word pools -------------------------------------------------------------------------------------

/// Characters for the unique part of enterprise names (row number written in base 64).
const NAME_DIGITS: &[char] = &[
    '兴', '华', '瑞', '达', '丰', '泰', '鑫', '宏', '源', '盛', '恒', '通', '川', '蜀', '天', '府', '锦', '江', '岷',
    '峨', '康', '德', '信', '和', '嘉', '佳', '美', '创', '新', '科', '龙', '凤', '金', '银', '福', '禄', '安', '平',
    '远', '航', '宇', '晨', '阳', '光', '明', '辉', '博', '雅', '正', '永', '昌', '隆', '豪', '捷', '君', '祥', '益',
    '卓', '越', '润', '泽', '汇', '聚', '力',
];

const NAME_MID: &[&str] = &[
    "", "", "实业", "科技", "新材料", "智能", "生物", "精工", "电子", "制造", "农业", "贸易", "工贸", "集团",
];

const NAME_TRADE: &[&str] = &[
    "食品", "酒业", "茶业", "电器", "家具", "服饰", "纺织", "机械", "电缆", "建材", "化工", "汽车零部件", "仪表",
    "电子", "玩具", "材料", "饮品", "农资", "装饰",
];

const NAME_FORM: &[&str] = &["有限公司", "有限公司", "有限责任公司", "股份有限公司", "有限公司", "厂"];

const FULL_WIDTH_TAGS: &[&str] = &["ＡＢＣ", "ＸＹ", "ＴＣＬ", "ＪＭ", "ＨＤ", "ＳＫＹ", "ＬＴ", "ＭＫ"];

const PRODUCTS: &[&str] = &[
    "浓香型白酒", "川茶", "绿茶", "花茶", "火锅底料", "调味品", "泡菜", "休闲食品", "液晶显示模组", "智能终端",
    "集成电路封装", "锂电池", "电动汽车", "汽车零部件", "电线电缆", "塑料管材", "防水卷材", "陶瓷砖", "实木家具",
    "软体家具", "儿童服装", "童车", "毛绒玩具", "空调", "冰箱", "电视机", "复合肥", "农药", "玄武岩纤维布",
    "石墨烯导热膜", "无人机整机", "压力变送器", "燃气表", "地板", "涂料", "板材", "矿泉水", "饮料",
];

const PROBLEMS: &[&str] = &[
    "产品质量一致性不高",
    "检验检测能力不足",
    "品牌影响力较弱",
    "标准化水平偏低",
    "关键工艺装备落后",
    "质量管理体系运行不规范",
    "原材料进货查验不严",
    "出厂检验项目不全",
    "研发投入不足",
    "技术人员缺乏",
    "市场抽检曾出现不合格",
    "生产过程控制不稳定",
    "售后服务体系不健全",
    "产品同质化严重",
    "能耗偏高",
    "包装标识不规范",
    "计量器具未按期检定",
    "企业标准未公开自我声明",
];

const GOALS: &[&str] = &[
    "产品抽检合格率达到百分之九十八以上",
    "通过质量管理体系认证",
    "主导产品采用国际标准",
    "创建省级质量标杆企业",
    "申报四川省名牌产品",
    "建成企业技术中心",
    "关键工序数控化率提高十个百分点",
    "顾客满意度提升到百分之九十以上",
    "制修订团体标准一项",
    "获得地理标志产品保护",
    "实现质量追溯全覆盖",
    "降低不良品率百分之二十",
];

const MEASURES: &[&str] = &[
    "开展质量诊断帮扶",
    "引进先进检测设备",
    "组织质量管理培训",
    "推行卓越绩效管理模式",
    "实施标准化良好行为创建",
    "建立产品质量追溯体系",
    "加强原材料入厂检验",
    "与高校共建研发平台",
    "开展对标达标活动",
    "完善售后服务网络",
    "推进生产线智能化改造",
    "落实质量安全主体责任",
    "开展计量能力提升行动",
    "参加质量品牌宣传活动",
];

const PROGRESS: &[&str] = &[
    "已完成质量诊断",
    "检测设备已安装调试",
    "累计培训员工三百余人次",
    "质量管理体系已通过认证审核",
    "本季度抽检全部合格",
    "团体标准已发布实施",
    "智能化生产线已投入使用",
    "不良品率同比下降百分之十五",
    "已提交名牌产品申报材料",
    "研发平台已挂牌运行",
    "追溯系统已覆盖主要产品",
    "售后网点新增十二个",
    "正在按计划推进",
    "已完成年度目标的百分之六十",
];

const SURNAMES: &[&str] = &["张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "何", "罗", "郭"];
const GIVEN: &[&str] = &["伟", "芳", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"];

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

// ---- Cell contents ----------------------------------------------------------------------------------

/// Joins phrases from `pool` with `，` until the text is between `min` and `max` characters long.
fn sentence(rng: &mut Rng, pool: &[&str], min: usize, max: usize) -> String {
    let mut s = String::new();
    let mut n = 0usize;
    loop {
        let p = rng.pick(pool);
        let pn = p.chars().count();
        let sep = usize::from(n > 0);
        if n >= min && n + sep + pn > max {
            break;
        }
        if n + sep + pn > max {
            // Still too short but the phrase does not fit: cut it.
            if sep == 1 {
                s.push('，');
            }
            s.extend(p.chars().take(max - n - sep));
            break;
        }
        if sep == 1 {
            s.push('，');
        }
        s.push_str(p);
        n += sep + pn;
        if n >= min && rng.chance(0.35) {
            break;
        }
    }
    s.push('。');
    s
}

/// A name unique to (file, row): the prefecture's short name, the row number in base 64 over Chinese
/// characters (three digits cover 262,144 rows, four 16.7 million), then a trade and a legal form.
fn enterprise_name(rng: &mut Rng, pref: &Prefecture, row: usize, full_width: bool) -> String {
    let mut s = String::with_capacity(48);
    s.push_str(&pref.short);
    // 64^3 = 2^18 rows get three characters, more rows four. Multiplying by an odd number modulo the
    // power of two is a bijection, so the names stay unique while neighbouring rows look unrelated.
    let (n, bits) = if row < 1 << 18 { (3, 18) } else { (4, 24) };
    let mut r = (row as u64).wrapping_mul(0x9E37_79B1) & ((1u64 << bits) - 1);
    let mut digits = ['兴'; 4];
    for d in digits[..n].iter_mut() {
        *d = NAME_DIGITS[(r % 64) as usize];
        r /= 64;
    }
    s.extend(&digits[..n]);
    if full_width {
        s.push_str(rng.pick(FULL_WIDTH_TAGS));
    }
    s.push_str(rng.pick(NAME_MID));
    s.push_str(rng.pick(NAME_TRADE));
    s.push_str(rng.pick(NAME_FORM));
    s
}

/// A valid 统一社会信用代码 unique to (file, row): 9 (registered by 市场监管) 1 (enterprise), the
/// prefecture's division code, a 9-character organisation code carrying the file and row, the check character.
fn credit_code(rng: &mut Rng, pref: &Prefecture, file: usize, row: usize) -> String {
    let mut c: Vec<u8> = Vec::with_capacity(18);
    c.extend_from_slice(b"91");
    c.extend_from_slice(pref.code.as_bytes());
    // 9 characters: file (2), row (4 digits in base 31), 3 random.
    let mut org = [0u8; 9];
    org[0] = USCC_CHARS[(file / 31) % 31];
    org[1] = USCC_CHARS[file % 31];
    let mut r = row;
    for k in (2..6).rev() {
        org[k] = USCC_CHARS[r % 31];
        r /= 31;
    }
    for o in org.iter_mut().skip(6) {
        *o = USCC_CHARS[rng.below(31)];
    }
    c.extend_from_slice(&org);
    c.truncate(17);
    let sum: u32 = c
        .iter()
        .enumerate()
        .map(|(i, b)| USCC_CHARS.iter().position(|x| x == b).expect("code alphabet") as u32 * USCC_WEIGHTS[i])
        .sum();
    c.push(USCC_CHARS[((31 - sum % 31) % 31) as usize]);
    String::from_utf8(c).expect("ascii")
}

fn person(rng: &mut Rng) -> String {
    format!("{}{}{}", rng.pick(SURNAMES), rng.pick(GIVEN), if rng.chance(0.5) { rng.pick(GIVEN) } else { "" })
}

fn phone(rng: &mut Rng) -> String {
    format!("028-{:08}", rng.below(100_000_000))
}

// ---- Layout -----------------------------------------------------------------------------------------

/// The nine ledger columns, in the template's order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    Seq,
    Industry,
    Enterprise,
    Product,
    Problems,
    Goal,
    Measures,
    Progress,
    Uscc,
    /// The extra column of messy returns.
    Remark,
}

const OFFICIAL: [Col; 9] =
    [Col::Seq, Col::Industry, Col::Enterprise, Col::Product, Col::Problems, Col::Goal, Col::Measures, Col::Progress, Col::Uscc];

fn official_header(c: Col) -> &'static str {
    match c {
        Col::Seq => "序号",
        Col::Industry => "所属(产业)行业",
        Col::Enterprise => "提升企业名称",
        Col::Product => "主导产品",
        Col::Problems => "问题和短板",
        Col::Goal => "提升目标",
        Col::Measures => "提升措施",
        Col::Progress => "进展情况及成效",
        Col::Uscc => "统一社会信用代码",
        Col::Remark => "备注",
    }
}

/// How one file is laid out.
struct Layout {
    sheet_name: &'static str,
    /// 0-based row of the header.
    header_row: u32,
    columns: Vec<Col>,
    headers: Vec<String>,
    merge_industry: bool,
    blank_every: Option<(usize, usize)>,
    full_width_share: f64,
    notes: bool,
}

fn clean_layout() -> Layout {
    Layout {
        sheet_name: "附件2 质量提升台账",
        header_row: 2,
        columns: OFFICIAL.to_vec(),
        headers: OFFICIAL.iter().map(|c| official_header(*c).to_string()).collect(),
        merge_industry: false,
        blank_every: None,
        full_width_share: 0.0,
        notes: false,
    }
}

fn messy_layout(rng: &mut Rng, file: usize) -> Layout {
    let sheet_name = rng.pick(&["附件2 质量提升台账", "Sheet1", "台账", "附件2", "质量提升台账"]);
    // Header on row 1..5 (0-based 0..4), spread over the files.
    let header_row = (file % 5) as u32;
    let mut columns = OFFICIAL.to_vec();
    match rng.below(4) {
        0 => {}
        1 => columns.swap(1, 2), // 企业名称 before 行业
        2 => {
            // 统一社会信用代码 right after the name
            let u = columns.pop().expect("uscc");
            columns.insert(3, u);
        }
        _ => {
            // 主导产品 first after 序号, 问题 and 目标 swapped
            let p = columns.remove(3);
            columns.insert(1, p);
            columns.swap(5, 6);
        }
    }
    if rng.chance(0.6) {
        columns.push(Col::Remark);
    }
    let rename_enterprise = rng.chance(0.5);
    let rename_industry = rng.chance(0.5);
    let break_progress = rng.chance(0.5);
    let headers = columns
        .iter()
        .map(|c| match c {
            Col::Enterprise if rename_enterprise => "企业名称".to_string(),
            Col::Industry if rename_industry => "所属行业".to_string(),
            Col::Progress if break_progress => "进展情况\n及成效".to_string(),
            c => official_header(*c).to_string(),
        })
        .collect();
    Layout {
        sheet_name,
        header_row,
        columns,
        headers,
        merge_industry: rng.chance(0.7),
        blank_every: Some((45, 55)),
        full_width_share: 0.05,
        notes: true,
    }
}

struct Args {
    out: PathBuf,
    files: usize,
    rows: usize,
    messy: bool,
    seed: u64,
    period: String,
    shared_strings: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::new(),
        files: 21,
        rows: 2000,
        messy: false,
        seed: 20181010,
        period: "2018Q3".into(),
        shared_strings: false,
    };
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(val("--out")?)),
            "--files" => a.files = val("--files")?.parse().map_err(|e| format!("--files: {e}"))?,
            "--rows" => a.rows = val("--rows")?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--seed" => a.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--period" => a.period = val("--period")?,
            "--messy" => a.messy = true,
            "--shared-strings" => a.shared_strings = true,
            "-h" | "--help" => {
                return Err("usage: gen_ledgers --out DIR [--files 21] [--rows 2000] [--messy] [--seed S] \
                            [--period 2018Q3] [--shared-strings]"
                    .into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    a.out = out.ok_or("--out DIR is required")?;
    if a.files == 0 || a.files > 21 {
        return Err("--files must be 1..=21 (one file per prefecture)".into());
    }
    if a.rows > 262_144 * 4 {
        return Err("--rows too large".into());
    }
    Ok(a)
}

/// Last day of a period code like 2018Q3 plus a few days: the date a return is filled in.
fn fill_date(period: &str) -> Result<(u16, u8, u8), String> {
    let (y, q) = period
        .split_once(['Q', 'q'])
        .and_then(|(y, q)| Some((y.parse::<u16>().ok()?, q.parse::<u8>().ok()?)))
        .filter(|(_, q)| (1..=4).contains(q))
        .ok_or_else(|| format!("period must look like 2018Q3, not {period}"))?;
    Ok(if q == 4 { (y + 1, 1, 8) } else { (y, q * 3 + 1, 8) })
}

fn write_file(args: &Args, file: usize, pref: &Prefecture, industries: &[&str]) -> Result<PathBuf, XlsxError> {
    let mut rng = Rng::new(args.seed ^ (file as u64 + 1).wrapping_mul(0x1000_0000_01B3) ^ u64::from(args.messy));
    let layout = if args.messy { messy_layout(&mut rng, file) } else { clean_layout() };
    let (y, m, d) = fill_date(&args.period).map_err(XlsxError::ParameterError)?;
    let date = ExcelDateTime::from_ymd(y, m, d + (file % 5) as u8)?;
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let plain = Format::new();

    let mut wb = Workbook::new();
    // A fixed creation time: the same arguments give byte-identical files.
    wb.set_properties(&DocProperties::new().set_author("gen_ledgers").set_creation_datetime(&date));
    let ws: &mut Worksheet =
        if args.shared_strings { wb.add_worksheet_with_low_memory()? } else { wb.add_worksheet_with_constant_memory()? };
    ws.set_name(layout.sheet_name)?;
    let ncols = layout.columns.len() as u16;
    let last_col = ncols - 1;
    let title = format!("四川省重点消费品质量提升台账({})", period_label(&args.period));

    // Rows above the header.
    if args.messy {
        let h = layout.header_row;
        if h >= 1 {
            ws.write_string(0, 0, &title)?;
        }
        if h >= 2 {
            ws.write_string(1, 0, format!("填报单位：{}市场监督管理局", pref.name))?;
        }
        if h >= 3 {
            ws.write_string(2, 0, "填报日期：")?;
            ws.write_datetime_with_format(2, 1, &date, &date_fmt)?;
        }
        // h == 4 leaves row 4 blank.
    } else {
        ws.merge_range(0, 0, 0, last_col, &title, &plain)?;
        ws.merge_range(1, 0, 1, 2, &format!("填报市州:{}", pref.name), &plain)?;
        ws.write_string(1, 3, "填报日期:")?;
        ws.write_datetime_with_format(1, 4, &date, &date_fmt)?;
        ws.write_string(1, 5, "填报人:")?;
        ws.write_string(1, 6, person(&mut rng))?;
        ws.write_string(1, 7, "联系电话:")?;
        ws.write_string(1, 8, phone(&mut rng))?;
    }
    for (i, h) in layout.headers.iter().enumerate() {
        ws.write_string(layout.header_row, i as u16, h)?;
    }

    let pos = |c: Col| layout.columns.iter().position(|x| *x == c).map(|p| p as u16);
    let industry_col = pos(Col::Industry).expect("industry column");
    let mut r = layout.header_row + 1;
    let mut next_blank = layout.blank_every.map(|(lo, hi)| rng.range(lo, hi));
    // Rows left in the current run of one industry, and that industry.
    let mut run_left = 0usize;
    for k in 0..args.rows {
        if let Some(nb) = next_blank.as_mut() {
            if *nb == 0 {
                r += 1; // leave the row blank
                *nb = layout.blank_every.map(|(lo, hi)| rng.range(lo, hi)).unwrap_or(usize::MAX);
                run_left = 0;
            }
            *nb -= 1;
        }
        if run_left == 0 {
            let run_industry = if rng.chance(0.03) { "其他" } else { industries[rng.below(industries.len() - 1)] };
            run_left = if layout.merge_industry { rng.range(2, 4) } else { 1 };
            // A run stops at the next blank row and at the last row.
            let room = next_blank.map_or(usize::MAX, |nb| nb + 1).min(args.rows - k);
            run_left = run_left.min(room);
            if run_left >= 2 {
                ws.merge_range(r, industry_col, r + run_left as u32 - 1, industry_col, run_industry, &plain)?;
            } else {
                ws.write_string(r, industry_col, run_industry)?;
            }
        }
        run_left -= 1;
        for (ci, c) in layout.columns.iter().enumerate() {
            let ci = ci as u16;
            match c {
                Col::Seq => {
                    ws.write_number(r, ci, (k + 1) as f64)?;
                }
                Col::Industry => {}
                Col::Enterprise => {
                    let fw = layout.full_width_share > 0.0 && rng.chance(layout.full_width_share);
                    ws.write_string(r, ci, enterprise_name(&mut rng, pref, k, fw))?;
                }
                Col::Product => {
                    let p = rng.pick(PRODUCTS);
                    let s = if rng.chance(0.5) { format!("{p}、{}", rng.pick(PRODUCTS)) } else { p.to_string() };
                    ws.write_string(r, ci, s)?;
                }
                Col::Problems => {
                    let s = sentence(&mut rng, PROBLEMS, 10, 60);
                    ws.write_string(r, ci, s)?;
                }
                Col::Goal => {
                    let s = sentence(&mut rng, GOALS, 10, 50);
                    ws.write_string(r, ci, s)?;
                }
                Col::Measures => {
                    let s = sentence(&mut rng, MEASURES, 10, 60);
                    ws.write_string(r, ci, s)?;
                }
                Col::Progress => {
                    let s = sentence(&mut rng, PROGRESS, 10, 60);
                    ws.write_string(r, ci, s)?;
                }
                Col::Uscc => {
                    if rng.chance(0.8) {
                        ws.write_string(r, ci, credit_code(&mut rng, pref, file, k))?;
                    }
                }
                Col::Remark => {
                    if rng.chance(0.1) {
                        ws.write_string(r, ci, rng.pick(&["重点帮扶企业", "新增企业", "上季度已报送", "省级示范"]))?;
                    }
                }
            }
        }
        r += 1;
    }
    if layout.notes {
        r += 1;
        ws.write_string(r, 0, format!("填报人：{}  联系电话：{}", person(&mut rng), phone(&mut rng)))?;
        r += 1;
        ws.write_string(r, 0, "注：本表由各市州质量提升办汇总填报，企业名称请填写全称。")?;
    }
    let path = args.out.join(format!("{}-{}-质量提升台账.xlsx", args.period, pref.name));
    wb.save(&path)?;
    Ok(path)
}

fn period_label(code: &str) -> String {
    let names = ["第一季度", "第二季度", "第三季度", "第四季度"];
    match code.split_once(['Q', 'q']) {
        Some((y, q)) => match q.parse::<usize>() {
            Ok(q @ 1..=4) => format!("{y}年{}", names[q - 1]),
            _ => code.to_string(),
        },
        None => code.to_string(),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_ledgers: {e}");
            return ExitCode::from(2);
        }
    };
    let prefs: PrefecturesToml =
        toml::from_str(include_str!("../templates/prefectures.toml")).expect("templates/prefectures.toml");
    let ledger: LedgerToml = toml::from_str(include_str!("../templates/ledger.toml")).expect("templates/ledger.toml");
    // The industry list without the trailing 其他 (drawn separately, rarely).
    let industries: Vec<&str> = ledger.industries.iter().map(String::as_str).collect();
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("gen_ledgers: {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let t0 = std::time::Instant::now();
    // One thread per core, files handed out round-robin: output is the same whatever the thread count.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(args.files);
    let failed = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (args, prefs, industries, failed) = (&args, &prefs, &industries, &failed);
            s.spawn(move || {
                for f in (t..args.files).step_by(threads) {
                    if let Err(e) = write_file(args, f, &prefs.prefectures[f], industries) {
                        eprintln!("gen_ledgers: {}: {e}", prefs.prefectures[f].name);
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    if failed.into_inner() {
        return ExitCode::from(1);
    }
    eprintln!(
        "gen_ledgers: {} files × {} rows ({}) in {} in {:.1}s",
        args.files,
        args.rows,
        if args.messy { "messy" } else { "clean" },
        args.out.display(),
        t0.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
