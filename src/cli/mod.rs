//! Command-line arguments. They are parsed here and turned into the library's plain configuration structs
//! before any work starts, so the library never sees clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgGroup, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use taizhang::Period;
use taizhang::commands;

/// 四川省重点消费品质量提升台账:模板生成、报送检查、全省汇总、邮件分发、审核意见、季度对比。
#[derive(Debug, Parser)]
#[command(name = "taizhang", version, long_about = None)]
pub struct Cli {
    /// 参考数据目录:其中的 prefectures.toml、tasks.toml、ledger.toml、template.toml、mail.toml 取代内置的同名文件(写在子命令之前,如 taizhang --refdata 参考数据 template …)
    #[arg(long = "refdata", value_name = "目录")]
    pub refdata: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 为各市州生成填报模板(每个市州一个工作簿)
    Template(TemplateArgs),
    /// 检查各市州报送的文件(文件或目录,目录递归),列出问题
    Check(CheckArgs),
    /// 读取各市州报送的文件,合并生成全省汇总表
    Consolidate(ConsolidateArgs),
    /// 把各市州的模板或审核意见逐一发送到各市州的邮箱(或写成 .eml 文件)
    Mail(MailArgs),
    /// 为有问题的报送生成审核意见工作簿(标出问题单元格并附修改意见)
    Feedback(FeedbackArgs),
    /// 从本办邮箱(IMAP)收取各市州报回的邮件,把表格附件存入收件箱文件夹并记录发件人
    Collect(CollectArgs),
    /// 对比两期汇总表:新增、减少的企业,内容更新,任务状态变化
    Diff(DiffArgs),
    /// 启动本机网页工作台:看板、上传即检查、各市州页面、生成模板和汇总表
    Serve(ServeArgs),
    /// 历次汇总:量化指标与序时进度、各市州报送情况、考核评分和排名、企业历次进展(读取 consolidate --dataset 写成的数据集)
    History(HistoryArgs),
    /// 根据全省汇总表起草本期质量提升工作简报(或通报),生成 Word 文档
    Briefing(BriefingArgs),
}

/// Which document `briefing` drafts.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BriefingKind {
    /// 质量提升工作简报
    #[value(name = "简报")]
    Briefing,
    /// 各市州报送及考核情况的通报
    #[value(name = "通报")]
    Notice,
}

#[derive(Debug, Args)]
pub struct BriefingArgs {
    /// 本期全省汇总表(taizhang consolidate 生成)
    #[arg(value_name = "汇总表")]
    pub rollup: PathBuf,
    /// 输出的 Word 文档(docx)
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
    /// 起草简报还是通报(默认简报)
    #[arg(long, value_name = "种类", value_enum, default_value = "简报", hide_default_value = true)]
    pub kind: BriefingKind,
    /// 上期全省汇总表:写明与上期相比的变化
    #[arg(long, value_name = "汇总表")]
    pub previous: Option<PathBuf>,
    /// 历次数据集目录:报送是否及时、序时进度和考核结果(通报必需)
    #[arg(long, value_name = "目录")]
    pub dataset: Option<PathBuf>,
    /// 期号(简报的「第N期」、通报的文号),默认按行动计划的季度编号(2018年第三季度为第1期)
    #[arg(long, value_name = "期号", value_parser = clap::value_parser!(u32).range(1..))]
    pub issue_number: Option<u32>,
    /// 印发日期,如 2018-10-15;写 today 为今天;默认为汇总表中最晚的填报日期
    #[arg(long, value_name = "日期", value_parser = parse_briefing_date)]
    pub date: Option<taizhang::briefing::DateChoice>,
    /// 修改过的文字模板(templates/briefing.toml 的副本):标题、段落、主送和抄送
    #[arg(long, value_name = "文件")]
    pub wording: Option<PathBuf>,
    /// 覆盖已存在的输出文件
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// 历次数据集目录(consolidate --dataset 写入的目录)
    #[arg(long, value_name = "目录")]
    pub dataset: PathBuf,
    /// 历次汇总工作簿输出文件(xlsx)
    #[arg(long, value_name = "文件")]
    pub out: Option<PathBuf>,
    /// 先把这些已有的汇总表(consolidate 生成的)各作为其期别写入数据集
    #[arg(long, value_name = "汇总表", num_args = 1..)]
    pub from_rollups: Vec<PathBuf>,
    /// 某一期的报送截止日期,写成 期别=日期,如 2018Q3=2018-10-10(可重复;用于统计是否按时报送)
    #[arg(long = "deadline", value_name = "期别=日期", value_parser = taizhang::history::parse_deadline)]
    pub deadlines: Vec<(Period, chrono::NaiveDate)>,
    /// 覆盖已存在的输出文件
    #[arg(long)]
    pub force: bool,
}

impl BriefingArgs {
    /// The request; the wording is the `--wording` file, else briefing.toml in the `--refdata` folder
    /// when there is one there.
    pub fn config(self, refdata_dir: Option<&std::path::Path>) -> commands::briefing::BriefingConfig {
        let in_refdata = refdata_dir.map(|d| d.join(taizhang::briefing::wording::FILE_NAME)).filter(|p| p.is_file());
        taizhang::briefing::BriefingRequest {
            kind: match self.kind {
                BriefingKind::Briefing => taizhang::briefing::Kind::Briefing,
                BriefingKind::Notice => taizhang::briefing::Kind::Notice,
            },
            rollup: self.rollup,
            previous: self.previous,
            dataset: self.dataset,
            out: self.out,
            number: self.issue_number,
            date: self.date,
            wording: self.wording.or(in_refdata),
            force: self.force,
        }
    }
}

fn parse_briefing_date(s: &str) -> Result<taizhang::briefing::DateChoice, String> {
    if s.trim().eq_ignore_ascii_case("today") || s.trim() == "今天" {
        return Ok(taizhang::briefing::DateChoice::Today);
    }
    parse_date(s).map(taizhang::briefing::DateChoice::On)
}

impl HistoryArgs {
    pub fn config(self) -> commands::history::HistoryConfig {
        commands::history::HistoryConfig { dataset: self.dataset, out: self.out, from_rollups: self.from_rollups, deadlines: self.deadlines.into_iter().collect(), force: self.force }
    }
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// 报送期别,如 2018Q3、2018-Q3 或 2018年第三季度
    #[arg(long, value_name = "期别", value_parser = parse_period)]
    pub period: Period,
    /// 输出目录(不存在时自动创建)
    #[arg(long, value_name = "目录")]
    pub out: PathBuf,
    /// 只生成这些市州(可重复;默认全部21个市州)
    #[arg(long = "prefecture", value_name = "市州")]
    pub prefectures: Vec<String>,
    /// 报送截止日期,如 2018-10-10
    #[arg(long, value_name = "日期", value_parser = parse_date)]
    pub deadline: Option<chrono::NaiveDate>,
    /// 用上期汇总表预填各市州的企业和任务进展
    #[arg(long, value_name = "汇总表")]
    pub from: Option<PathBuf>,
    /// 覆盖已存在的文件
    #[arg(long)]
    pub force: bool,
}

/// Options shared by the commands that read returns.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// 本次收集的期别;报送文件属于其他期别时给出警告
    #[arg(long, value_name = "期别", value_parser = parse_period)]
    pub period: Option<Period>,
    /// 单个文件的读取时限(秒,默认 10),超时即放弃该文件并报告
    #[arg(long, value_name = "秒", default_value_t = 10.0, hide_default_value = true)]
    pub timeout: f64,
    /// 同时读取的文件数(默认为处理器核数)
    #[arg(long, value_name = "数量")]
    pub jobs: Option<usize>,
    /// 单个工作表允许的最多非空单元格数
    #[arg(long, value_name = "数量")]
    pub max_cells: Option<usize>,
}

impl ReadArgs {
    pub fn options(&self) -> taizhang::import::batch::BatchOptions {
        let mut o = taizhang::import::batch::BatchOptions { period: self.period, ..Default::default() };
        if self.timeout.is_finite() && self.timeout > 0.0 {
            o.timeout = Duration::from_secs_f64(self.timeout);
        }
        if let Some(j) = self.jobs {
            o.jobs = j.max(1);
        }
        if let Some(m) = self.max_cells {
            o.limits.max_cells = m;
        }
        o
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// 要检查的文件或目录
    #[arg(required = true, value_name = "路径")]
    pub paths: Vec<PathBuf>,
    /// 另存一份 JSON 格式的检查结果
    #[arg(long, value_name = "文件")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl CheckArgs {
    pub fn config(self) -> commands::check::CheckConfig {
        commands::check::CheckConfig { batch: self.read.options(), paths: self.paths, json: self.json }
    }
}

#[derive(Debug, Args)]
pub struct ConsolidateArgs {
    /// 报送文件或目录
    #[arg(required = true, value_name = "路径")]
    pub paths: Vec<PathBuf>,
    /// 汇总表输出文件(xlsx)
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
    /// 另将合并后的台账、任务进展和问题清单导出为 CSV 到此目录
    #[arg(long, value_name = "目录")]
    pub csv: Option<PathBuf>,
    /// 另将合并后的台账导出为 Parquet 文件
    #[arg(long, value_name = "文件")]
    pub parquet: Option<PathBuf>,
    /// 上期汇总表:在汇总表中增加与上期相比的变化
    #[arg(long, value_name = "汇总表")]
    pub previous: Option<PathBuf>,
    /// 省局自己掌握的指标数值(含「指标」「完成值」两列的表格,如国家监督抽查合格率),填入指标完成情况
    #[arg(long, value_name = "文件")]
    pub province_figures: Option<PathBuf>,
    /// 另将本期写入历次数据集(Parquet,按期别分区,可用 DuckDB、Spark、polars 直接读取;再次汇总同一期时替换该期)
    #[arg(long, value_name = "目录")]
    pub dataset: Option<PathBuf>,
    /// 本期报送截止日期,如 2018-10-10(写入数据集,用于统计各市州是否按时报送)
    #[arg(long, value_name = "日期", value_parser = parse_date, requires = "dataset")]
    pub deadline: Option<chrono::NaiveDate>,
    /// 覆盖已存在的输出文件
    #[arg(long)]
    pub force: bool,
    /// Spill each return's rows to disk while the rollup is made when the returns take more than this
    /// many bytes (for tests and measurements; not shown in the help).
    #[arg(long, hide = true, value_name = "字节", default_value_t = commands::consolidate::SPILL_ABOVE_BYTES)]
    pub spill_above: u64,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl ConsolidateArgs {
    pub fn config(self) -> commands::consolidate::ConsolidateConfig {
        commands::consolidate::ConsolidateConfig {
            batch: self.read.options(),
            paths: self.paths,
            out: self.out,
            csv: self.csv,
            parquet: self.parquet,
            force: self.force,
            previous: self.previous,
            province_figures: self.province_figures,
            spill_above: self.spill_above,
            dataset: self.dataset.map(|dir| taizhang::rollup::consolidate::DatasetTarget { dir, deadline: self.deadline, received: Default::default() }),
        }
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("destination").required(true).args(["outbox", "smtp"])))]
#[command(group(ArgGroup::new("security").args(["starttls", "tls"])))]
#[command(group(ArgGroup::new("what").required(true).args(["attachments", "remind"])))]
pub struct MailArgs {
    /// 要作为附件发送的工作簿所在目录(本期的模板,或审核意见),每个市州一个文件,文件名中须含市州名称
    // The old spelling stays as a hidden alias: since the reference-data folder is now `--refdata`,
    // `--templates` has only this one meaning left.
    #[arg(long = "attachments", alias = "templates", value_name = "目录")]
    pub attachments: Option<PathBuf>,
    /// 催报:给本期仍未报送、或报送的文件有错误的市州各发一封提醒,写明缺什么、错在哪里(须同时指定 --inbox 和 --period)
    #[arg(long, requires_all = ["inbox", "period"])]
    pub remind: bool,
    /// 催报时读取的收件箱文件夹(如 收件箱/2018Q3)
    #[arg(long, value_name = "目录", requires = "remind")]
    pub inbox: Vec<PathBuf>,
    /// 催报的期别,如 2018Q3
    #[arg(long, value_name = "期别", value_parser = parse_period, requires = "remind")]
    pub period: Option<Period>,
    /// 邮件中写明的报送截止日期,如 2018-10-10(模板中已记有截止日期时可不填)
    #[arg(long, value_name = "日期", value_parser = parse_date)]
    pub deadline: Option<chrono::NaiveDate>,
    /// 联系人表(xlsx、xls、ods 或 csv),含「市州」「联系人」「邮箱」三列
    #[arg(long, value_name = "文件")]
    pub contacts: PathBuf,
    /// 把邮件写成 .eml 文件放到此目录(可用任何邮件客户端打开后发送)
    #[arg(long, value_name = "目录")]
    pub outbox: Option<PathBuf>,
    /// 直接通过 SMTP 服务器发送,如 smtp.example.gov.cn:465
    #[arg(long, value_name = "服务器:端口")]
    pub smtp: Option<String>,
    /// 发件人,即市州回复的地址,如 "省质量提升办 <zltsb@example.gov.cn>"(不写时为 zltsb@localhost,市州无法回复)
    #[arg(long, value_name = "发件人")]
    pub from: Option<String>,
    /// 要求 STARTTLS 加密(服务器不支持时不发送)
    #[arg(long)]
    pub starttls: bool,
    /// 使用 SSL/TLS 直接加密连接(通常为 465 端口)
    #[arg(long)]
    pub tls: bool,
    /// SMTP 登录用户名;密码请放在环境变量 TAIZHANG_SMTP_PASSWORD 中
    #[arg(long, value_name = "用户名")]
    pub user: Option<String>,
    /// 邮件主题(可用 {period} {prefecture} {deadline} 等占位符)
    #[arg(long, value_name = "主题")]
    pub subject: Option<String>,
    /// 邮件正文文件(UTF-8 文本,可用占位符)
    #[arg(long, value_name = "文件")]
    pub body: Option<PathBuf>,
    /// 只发给这些市州(可重复)
    #[arg(long, value_name = "市州", num_args = 1..)]
    pub only: Vec<String>,
    /// 额外信任的根证书(PEM),用于使用内部证书的邮件服务器
    #[arg(long, value_name = "文件")]
    pub ca_cert: Option<PathBuf>,
    /// 临时失败时每封邮件最多尝试的次数(默认 3)
    #[arg(long, value_name = "次数", default_value_t = 3, hide_default_value = true)]
    pub attempts: u32,
}

impl MailArgs {
    pub fn config(self, refdata: &taizhang::RefData) -> Result<commands::mail::MailConfig, taizhang::Error> {
        let only = taizhang::template::resolve_prefectures(refdata, &self.only)?;
        let body = match &self.body {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|source| taizhang::Error::BodyFile { path: p.clone(), source })?),
            None => None,
        };
        let options = taizhang::mail::MailOptions {
            dir: self.attachments.unwrap_or_default(),
            contacts: self.contacts,
            from: self.from.unwrap_or_else(|| taizhang::mail::DEFAULT_FROM.into()),
            subject: self.subject,
            body,
            only,
            links: Default::default(),
            deadline: self.deadline,
        };
        let destination = match (self.outbox, self.smtp) {
            (Some(dir), _) => taizhang::mail::Destination::Outbox(dir),
            (None, Some(server)) => {
                let (host, port, security) = mail_server("SMTP", &server, (465, 25), self.tls, self.starttls)?;
                taizhang::mail::Destination::Smtp(taizhang::mail::SmtpOptions {
                    host,
                    port,
                    security,
                    user: self.user,
                    password: std::env::var(taizhang::mail::SMTP_PASSWORD_VAR).ok(),
                    ca_cert: self.ca_cert,
                    attempts: self.attempts.max(1),
                    timeout: Duration::from_secs(30),
                })
            }
            (None, None) => return Err(taizhang::Error::Message("请指定 --outbox 或 --smtp".into())),
        };
        let remind = self.remind.then(|| taizhang::mail::RemindRequest {
            inbox: self.inbox,
            batch: taizhang::import::batch::BatchOptions { period: self.period, ..Default::default() },
            deadline: self.deadline,
        });
        Ok(commands::mail::MailConfig { options, destination, remind })
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("security").args(["starttls", "tls"])))]
pub struct CollectArgs {
    /// 收件服务器,如 imap.example.gov.cn:993
    #[arg(long, value_name = "服务器:端口")]
    pub imap: String,
    /// 邮箱登录用户名;密码请放在环境变量 TAIZHANG_IMAP_PASSWORD 中
    #[arg(long, value_name = "用户名")]
    pub user: String,
    /// 使用 SSL/TLS 直接加密连接(通常为 993 端口)
    #[arg(long)]
    pub tls: bool,
    /// 使用 STARTTLS 加密(通常为 143 端口;不写 --tls 时总是要求 STARTTLS,密码绝不以明文发送)
    #[arg(long)]
    pub starttls: bool,
    /// 额外信任的根证书(PEM),用于使用内部证书的邮件服务器
    #[arg(long, value_name = "文件")]
    pub ca_cert: Option<PathBuf>,
    /// 邮箱文件夹(默认 INBOX,即收件箱)
    #[arg(long, value_name = "文件夹", default_value = "INBOX", hide_default_value = true)]
    pub mailbox: String,
    /// 只收取这一天及以后收到的邮件,如 2018-10-01
    #[arg(long, value_name = "日期", value_parser = parse_date)]
    pub since: Option<chrono::NaiveDate>,
    /// 联系人表(mail 所用的那一份):按发件人邮箱确定市州
    #[arg(long, value_name = "文件")]
    pub contacts: Option<PathBuf>,
    /// 附件存入的收件箱文件夹,如 收件箱/2018Q3(收取记录保存在其中的 收取记录.jsonl)
    #[arg(long, value_name = "目录", required_unless_present = "workspace", conflicts_with = "workspace")]
    pub into: Option<PathBuf>,
    /// 存入网页工作台的工作区(与 taizhang serve 的 --workspace 相同),附件存入该期的「收件箱」并记入收件记录
    #[arg(long, value_name = "目录", requires = "period")]
    pub workspace: Option<PathBuf>,
    /// 与 --workspace 一起使用:存入哪一期,如 2018Q3
    #[arg(long, value_name = "期别", value_parser = parse_period, requires = "workspace")]
    pub period: Option<Period>,
}

impl CollectArgs {
    pub fn config(self) -> Result<commands::collect::CollectConfig, taizhang::Error> {
        let (host, port, security) = mail_server("IMAP", &self.imap, (993, 143), self.tls, self.starttls)?;
        let workspace = self.workspace.zip(self.period);
        let options = taizhang::inbox::imap::CollectOptions {
            host,
            port,
            security,
            user: self.user,
            password: std::env::var(taizhang::inbox::imap::IMAP_PASSWORD_VAR).ok().filter(|p| !p.is_empty()),
            ca_cert: self.ca_cert,
            mailbox: self.mailbox,
            since: self.since,
            contacts: self.contacts,
            into: self.into.unwrap_or_default(),
            timeout: Duration::from_secs(60),
        };
        Ok(commands::collect::CollectConfig { options, workspace })
    }
}

#[derive(Debug, Args)]
pub struct FeedbackArgs {
    /// 报送文件或目录
    #[arg(required = true, value_name = "路径")]
    pub paths: Vec<PathBuf>,
    /// 审核意见输出目录
    #[arg(long, value_name = "目录")]
    pub out: PathBuf,
    /// 覆盖已存在的文件
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl FeedbackArgs {
    pub fn config(self) -> commands::feedback::FeedbackConfig {
        commands::feedback::FeedbackConfig { batch: self.read.options(), paths: self.paths, out: self.out, force: self.force }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// 上期汇总表
    #[arg(value_name = "上期汇总表")]
    pub old: PathBuf,
    /// 本期汇总表
    #[arg(value_name = "本期汇总表")]
    pub new: PathBuf,
    /// 对比表输出文件(xlsx)
    #[arg(long, value_name = "文件")]
    pub out: PathBuf,
    /// 覆盖已存在的输出文件
    #[arg(long)]
    pub force: bool,
}

impl DiffArgs {
    pub fn config(self) -> commands::diff::DiffConfig {
        commands::diff::DiffConfig { old: self.old, new: self.new, out: self.out, force: self.force }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// 工作区目录(每期一个文件夹,含 模板、收件箱、审核意见、汇总;不存在时自动创建,默认「工作区」)
    #[arg(long, value_name = "目录", default_value = "工作区", hide_default_value = true)]
    pub workspace: PathBuf,
    /// 首先显示的期别(默认为工作区中最新的一期,没有时为当前季度)
    #[arg(long, value_name = "期别", value_parser = parse_period)]
    pub period: Option<Period>,
    /// 监听地址(默认 127.0.0.1:8750,端口被占用时自动换一个;非本机地址须先设置环境变量 TAIZHANG_SERVE_PASSWORD)
    #[arg(long, value_name = "地址:端口")]
    pub listen: Option<std::net::SocketAddr>,
    /// 不自动打开浏览器
    #[arg(long)]
    pub no_browser: bool,
    /// 单个文件的读取时限(秒,默认 10)
    #[arg(long, value_name = "秒", default_value_t = 10.0, hide_default_value = true)]
    pub timeout: f64,
    /// 单个上传文件的大小上限(MB,默认 256,即读取文件的上限);超过的文件不保存
    #[arg(long, value_name = "MB")]
    pub max_file_mb: Option<u64>,
    /// 市州打开上传链接所用的地址,如 http://10.1.2.3:8750(默认为监听地址)
    #[arg(long, value_name = "网址")]
    pub public_url: Option<String>,
    /// 「收取邮件」额外信任的根证书(PEM),用于使用内部证书的邮件服务器
    #[arg(long, value_name = "文件")]
    pub ca_cert: Option<PathBuf>,
}

impl ServeArgs {
    pub fn config(self) -> taizhang::serve::ServeConfig {
        let mut batch = taizhang::import::batch::BatchOptions::default();
        if self.timeout.is_finite() && self.timeout > 0.0 {
            batch.timeout = Duration::from_secs_f64(self.timeout);
        }
        if let Some(mb) = self.max_file_mb {
            batch.limits.max_file_bytes = mb.max(1) << 20;
        }
        taizhang::serve::ServeConfig {
            workspace: self.workspace,
            period: self.period,
            listen: self.listen.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], taizhang::serve::DEFAULT_PORT))),
            open_browser: !self.no_browser,
            batch,
            public_url: self.public_url,
            ca_cert: self.ca_cert,
        }
    }
}

/// A mail server given as `HOST[:PORT]` with `--tls` / `--starttls`: its host, its port (the protocol's
/// usual one for implicit TLS or plain when none is given) and how the connection is protected.
fn mail_server(
    protocol: &str,
    server: &str,
    (tls_port, plain_port): (u16, u16),
    tls: bool,
    starttls: bool,
) -> Result<(String, u16, taizhang::mail::Security), taizhang::Error> {
    let (host, port) = match server.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| taizhang::Error::Message(format!("{protocol} 端口「{p}」无效")))?),
        None => (server.to_string(), if tls { tls_port } else { plain_port }),
    };
    let security = if tls {
        taizhang::mail::Security::Implicit
    } else if starttls {
        taizhang::mail::Security::StartTls
    } else {
        taizhang::mail::Security::Opportunistic
    };
    Ok((host, port, security))
}

fn parse_period(s: &str) -> Result<Period, String> {
    s.parse::<Period>().map_err(|e| e.to_string())
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    taizhang::text::parse_date(s).ok_or_else(|| format!("无法识别的日期「{s}」,请写成 2018-10-10"))
}

impl TemplateArgs {
    pub fn config(self) -> commands::template::TemplateConfig {
        commands::template::TemplateConfig {
            period: self.period,
            out: self.out,
            prefectures: self.prefectures,
            deadline: self.deadline,
            force: self.force,
            from: self.from,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Chinese for clap. The officials who run taizhang read no English, so every text clap would print on its
// own (usage line, headings, the help and version flags, error messages) is replaced here: help through
// templates and headings set on the command tree, errors by rendering `clap::Error`'s kind and context.

/// The layout of every help page.
const HELP_TEMPLATE: &str = "{before-help}{about-with-newline}\n用法:{usage}\n\n{all-args}{after-help}\n";
const HEADING_OPTIONS: &str = "选项";
const HEADING_ARGUMENTS: &str = "参数";
const HEADING_COMMANDS: &str = "命令";

/// The command tree with Chinese help: our own `-h/--help` and `-V/--version`, headings, usage lines.
pub fn command() -> clap::Command {
    let cmd = Cli::command()
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::Help).global(true).display_order(10_000).help("显示帮助"))
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::Version).display_order(10_001).help("显示版本"));
    localize(cmd, "taizhang")
}

fn localize(cmd: clap::Command, path: &str) -> clap::Command {
    let usage = usage(&cmd, path);
    let subcommands: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    let mut positional = 0;
    // Each help text on its own line under its option: clap aligns columns by characters, not by display
    // width, so Chinese value names would leave the descriptions ragged.
    let mut cmd = cmd
        .next_line_help(true)
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading(HEADING_COMMANDS)
        .subcommand_value_name(HEADING_COMMANDS)
        .override_usage(usage)
        .mut_args(|a| {
            if a.is_positional() {
                // Under a heading of their own, positionals are sorted like options; keep them in order.
                positional += 1;
                a.help_heading(HEADING_ARGUMENTS).display_order(positional)
            } else {
                a.help_heading(HEADING_OPTIONS)
            }
        });
    for name in subcommands {
        let sub_path = format!("{path} {name}");
        cmd = cmd.mut_subcommand(&name, |s| localize(s, &sub_path));
    }
    cmd
}

/// The usage line: required options and arguments spelled out, the rest as [选项].
fn usage(cmd: &clap::Command, path: &str) -> String {
    let value = |a: &Arg| {
        let name = a.get_value_names().and_then(|v| v.first()).map_or_else(|| a.get_id().to_string(), |v| v.to_string());
        let many = matches!(a.get_action(), ArgAction::Append);
        format!("<{name}>{}", if many { "..." } else { "" })
    };
    let option = |a: &Arg| {
        if a.get_action().takes_values() { format!("--{} {}", a.get_long().unwrap_or_default(), value(a)) } else { format!("--{}", a.get_long().unwrap_or_default()) }
    };
    let visible = |a: &&Arg| !a.is_hide_set();
    let mut parts = vec![path.to_string()];
    // Every command has at least the help flag, which is optional.
    parts.push(format!("[{HEADING_OPTIONS}]"));
    for a in cmd.get_arguments().filter(visible).filter(|a| !a.is_positional() && a.is_required_set()) {
        parts.push(option(a));
    }
    for g in cmd.get_groups().filter(|g| g.is_required_set()) {
        let alternatives: Vec<String> =
            g.get_args().filter_map(|id| cmd.get_arguments().find(|a| a.get_id() == id)).map(|a| option(a)).collect();
        parts.push(format!("({})", alternatives.join(" | ")));
    }
    for a in cmd.get_positionals().filter(visible) {
        let v = value(a);
        parts.push(if a.is_required_set() { v } else { format!("[{}]", v.trim_start_matches('<').replacen('>', "", 1)) });
    }
    if cmd.has_subcommands() {
        parts.push(format!("<{HEADING_COMMANDS}>"));
    }
    parts.join(" ")
}

/// Why parsing the command line stopped: the text to print, where, and the exit code.
pub struct Stop {
    pub text: String,
    pub to_stderr: bool,
    pub code: u8,
}

/// Parses the command line; help and version requests and every usage error come back as a [`Stop`] with
/// Chinese text (exit code 0 for help and version, 2 for a usage error).
pub fn parse() -> Result<Cli, Stop> {
    if std::env::args_os().len() == 1 {
        return Ok(double_click());
    }
    let cmd = command();
    // The subcommand named on the command line, for errors that come without clap's usage line.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sub = args.iter().find_map(|a| cmd.find_subcommand(a)).cloned();
    let stop = |e: clap::Error| stop(e, sub.as_ref());
    let matches = cmd.clone().try_get_matches().map_err(stop)?;
    Cli::from_arg_matches(&matches).map_err(stop)
}

/// No arguments at all: the program was double-clicked (in Windows' Explorer, or a desktop shortcut), by
/// an official who has never seen a command line. The console opens on the workspace beside the program
/// (not the folder a shortcut happens to start in), with the browser; `taizhang --help` shows the rest.
fn double_click() -> Cli {
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("工作区"))).unwrap_or_else(|| PathBuf::from("工作区"));
    let args = [std::ffi::OsString::from("taizhang"), "serve".into(), "--workspace".into(), beside.into_os_string()];
    Cli::try_parse_from(args).expect("serve with a workspace is a valid command line")
}

fn stop(e: clap::Error, sub: Option<&clap::Command>) -> Stop {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Stop { text: e.render().to_string(), to_stderr: false, code: 0 },
        // No subcommand: the help page is the most useful answer, but the run still failed.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Stop { text: e.render().to_string(), to_stderr: true, code: 2 },
        _ => Stop { text: error_text(&e, sub), to_stderr: true, code: 2 },
    }
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join("、")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("、")),
        ContextValue::Number(n) => Some(n.to_string()),
        ContextValue::Bool(b) => Some(b.to_string()),
        ContextValue::None => None,
        _ => None,
    }
}

/// A usage error in Chinese: what is wrong, a suggestion when clap has one, the usage line and where to
/// read more.
pub fn error_text(e: &clap::Error, sub: Option<&clap::Command>) -> String {
    let get = |k| context(e, k).unwrap_or_default();
    let arg = get(ContextKind::InvalidArg);
    let value = get(ContextKind::InvalidValue);
    let mut text = match e.kind() {
        // A required group comes as "<--outbox <目录>|--smtp <服务器:端口>>".
        ErrorKind::MissingRequiredArgument if arg.starts_with("<--") && arg.contains('|') => {
            format!("须指定以下选项之一:{}", arg[1..arg.len() - 1].split('|').collect::<Vec<_>>().join(" 或 "))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少必填的{}:{arg}", if arg.starts_with('-') { "选项" } else { "参数或选项" }),
        ErrorKind::UnknownArgument => format!("无法识别的选项或参数「{arg}」"),
        ErrorKind::InvalidSubcommand => format!("没有「{}」这个命令", get(ContextKind::InvalidSubcommand)),
        ErrorKind::MissingSubcommand => "缺少命令".to_string(),
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} 需要一个值"),
        ErrorKind::InvalidValue => {
            let valid = get(ContextKind::ValidValue);
            let mut s = format!("{arg} 的值「{value}」无效");
            if !valid.is_empty() {
                s.push_str(&format!(",可用的值:{valid}"));
            }
            s
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
            if why.is_empty() { format!("{arg} 的值「{value}」无效") } else { format!("{arg} 的值「{value}」无效:{why}") }
        }
        ErrorKind::ArgumentConflict => {
            let prior = get(ContextKind::PriorArg);
            if prior.is_empty() { format!("{arg} 不能与其他选项同时使用") } else { format!("{arg} 不能与 {prior} 同时使用") }
        }
        ErrorKind::TooManyValues => format!("{arg} 的值「{value}」多余"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("{arg} 的值个数不对(给了 {} 个)", get(ContextKind::ActualNumValues))
        }
        ErrorKind::NoEquals => format!("{arg} 的值须用等号连接,如 {arg}=值"),
        ErrorKind::InvalidUtf8 => "命令行中有无法识别的字符(不是 UTF-8 编码)".to_string(),
        _ => "命令行有误".to_string(),
    };
    text = format!("错误:{text}");
    if arg == "--templates" && e.kind() == ErrorKind::UnknownArgument {
        text.push_str("\n  提示:参考数据目录的选项已改名为 --refdata(写在子命令之前);mail 要发送的文件目录用 --attachments");
    }
    if e.kind() == ErrorKind::InvalidSubcommand && get(ContextKind::InvalidSubcommand) == "help" {
        text.push_str("\n  提示:查看说明请运行 taizhang --help 或 taizhang 命令 --help");
    }
    for (kind, what) in [(ContextKind::SuggestedArg, "选项"), (ContextKind::SuggestedSubcommand, "命令"), (ContextKind::SuggestedValue, "值")] {
        let s = get(kind);
        if !s.is_empty() {
            text.push_str(&format!("\n  提示:您要找的{what}可能是「{s}」"));
        }
    }
    if let Some(trailing) = context(e, ContextKind::TrailingArg).filter(|t| t == "true") {
        let _ = trailing;
        text.push_str(&format!("\n  提示:如果「{arg}」是一个值而不是选项,请在它前面加「-- 」"));
    }
    // The usage context holds clap's "Usage: " title in front of our own usage line; some errors (a value
    // that does not parse) come without it, and then the subcommand named on the command line gives it.
    let given = get(ContextKind::Usage);
    let usage = given
        .find("taizhang")
        .map(|i| given[i..].trim_end().to_string())
        .or_else(|| sub.map(|s| usage(s, &format!("taizhang {}", s.get_name()))));
    if let Some(u) = &usage {
        text.push_str(&format!("\n\n用法:{u}"));
    }
    let path = usage.as_deref().map(|u| u.split_whitespace().take_while(|w| !w.starts_with(['[', '<', '-', '('])).collect::<Vec<_>>().join(" "));
    text.push_str(&format!("\n\n查看说明:{} --help\n", path.unwrap_or_else(|| "taizhang".into())));
    text
}
