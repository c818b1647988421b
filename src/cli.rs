//! Command-line arguments. They are parsed here and turned into the library's plain configuration structs
//! before any work starts, so the library never sees clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand};

use taizhang::Period;
use taizhang::commands;

/// 四川省重点消费品质量提升台账:模板生成、报送检查、全省汇总、邮件分发、审核意见、季度对比。
#[derive(Debug, Parser)]
#[command(name = "taizhang", version, about, long_about = None)]
pub struct Cli {
    /// 参考数据目录:其中的 prefectures.toml、tasks.toml、ledger.toml、template.toml、mail.toml 取代内置的同名文件
    /// (写在子命令之前,如 taizhang --templates 参考数据 template …)
    #[arg(long = "templates", value_name = "DIR")]
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
    /// 对比两期汇总表:新增、减少的企业,内容更新,任务状态变化
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// 报送期别,如 2018Q3、2018-Q3 或 2018年第三季度
    #[arg(long, value_parser = parse_period)]
    pub period: Period,
    /// 输出目录(不存在时自动创建)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// 只生成这些市州(可重复;默认全部21个市州)
    #[arg(long = "prefecture", value_name = "NAME")]
    pub prefectures: Vec<String>,
    /// 报送截止日期,如 2018-10-10
    #[arg(long, value_parser = parse_date)]
    pub deadline: Option<chrono::NaiveDate>,
    /// 用上期汇总表预填各市州的企业和任务进展
    #[arg(long, value_name = "ROLLUP")]
    pub from: Option<PathBuf>,
    /// 覆盖已存在的文件
    #[arg(long)]
    pub force: bool,
}

/// Options shared by the commands that read returns.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// 本次收集的期别;报送文件属于其他期别时给出警告
    #[arg(long, value_parser = parse_period)]
    pub period: Option<Period>,
    /// 单个文件的读取时限(秒),超时即放弃该文件并报告
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// 同时读取的文件数(默认为处理器核数)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// 单个工作表允许的最多非空单元格数
    #[arg(long, value_name = "N")]
    pub max_cells: Option<usize>,
}

impl ReadArgs {
    pub fn options(&self) -> taizhang::batch::BatchOptions {
        let mut o = taizhang::batch::BatchOptions { period: self.period, ..Default::default() };
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
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// 另存一份 JSON 格式的检查结果
    #[arg(long, value_name = "FILE")]
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
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// 汇总表输出文件(xlsx)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// 另将合并后的台账、任务进展和问题清单导出为 CSV 到此目录
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// 另将合并后的台账导出为 Parquet 文件
    #[arg(long, value_name = "FILE")]
    pub parquet: Option<PathBuf>,
    /// 上期汇总表:在汇总表中增加与上期相比的变化
    #[arg(long, value_name = "ROLLUP")]
    pub previous: Option<PathBuf>,
    /// 覆盖已存在的输出文件
    #[arg(long)]
    pub force: bool,
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
        }
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("destination").required(true).args(["outbox", "smtp"])))]
#[command(group(ArgGroup::new("security").args(["starttls", "tls"])))]
pub struct MailArgs {
    /// 要发送的工作簿所在目录(模板或审核意见),文件名中须含市州名称
    #[arg(long, value_name = "DIR")]
    pub templates: PathBuf,
    /// 联系人表(xlsx、xls、ods 或 csv),含「市州」「联系人」「邮箱」三列
    #[arg(long, value_name = "FILE")]
    pub contacts: PathBuf,
    /// 把邮件写成 .eml 文件放到此目录(可用任何邮件客户端打开后发送)
    #[arg(long, value_name = "DIR")]
    pub outbox: Option<PathBuf>,
    /// 直接通过 SMTP 服务器发送,如 smtp.example.gov.cn:465
    #[arg(long, value_name = "HOST:PORT")]
    pub smtp: Option<String>,
    /// 发件人,如 "省质量提升办 <zltsb@example.gov.cn>"
    #[arg(long, value_name = "ADDR", default_value = "四川省质量提升办 <zltsb@localhost>")]
    pub from: String,
    /// 要求 STARTTLS 加密(服务器不支持时不发送)
    #[arg(long)]
    pub starttls: bool,
    /// 使用 SSL/TLS 直接加密连接(通常为 465 端口)
    #[arg(long)]
    pub tls: bool,
    /// SMTP 登录用户名;密码请放在环境变量 TAIZHANG_SMTP_PASSWORD 中
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// 邮件主题(可用 {period} {prefecture} {deadline} 等占位符)
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// 邮件正文文件(UTF-8 文本,可用占位符)
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// 只发给这些市州(可重复)
    #[arg(long, value_name = "市州", num_args = 1..)]
    pub only: Vec<String>,
    /// 额外信任的根证书(PEM),用于使用内部证书的邮件服务器
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// 临时失败时每封邮件最多尝试的次数
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub attempts: u32,
}

impl MailArgs {
    pub fn config(self, refdata: &taizhang::RefData) -> Result<commands::mail::MailConfig, taizhang::Error> {
        let only = taizhang::template::resolve_prefectures(refdata, &self.only)?;
        let body = match &self.body {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| taizhang::Error::Message(format!("无法读取正文文件 {}: {e}", p.display())))?),
            None => None,
        };
        let options = taizhang::mail::MailOptions { dir: self.templates, contacts: self.contacts, from: self.from, subject: self.subject, body, only };
        let destination = match (self.outbox, self.smtp) {
            (Some(dir), _) => commands::mail::Destination::Outbox(dir),
            (None, Some(server)) => {
                let (host, port) = match server.rsplit_once(':') {
                    Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| taizhang::Error::Message(format!("SMTP 端口「{p}」无效")))?),
                    None => (server.clone(), if self.tls { 465 } else { 25 }),
                };
                let security = if self.tls {
                    taizhang::mail::Security::Implicit
                } else if self.starttls {
                    taizhang::mail::Security::StartTls
                } else {
                    taizhang::mail::Security::Opportunistic
                };
                commands::mail::Destination::Smtp(taizhang::mail::SmtpOptions {
                    host,
                    port,
                    security,
                    user: self.user,
                    password: std::env::var(taizhang::mail::PASSWORD_VAR).ok(),
                    ca_cert: self.ca_cert,
                    attempts: self.attempts.max(1),
                    timeout: Duration::from_secs(30),
                })
            }
            (None, None) => return Err(taizhang::Error::Message("请指定 --outbox 或 --smtp".into())),
        };
        Ok(commands::mail::MailConfig { options, destination })
    }
}

#[derive(Debug, Args)]
pub struct FeedbackArgs {
    /// 报送文件或目录
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// 审核意见输出目录
    #[arg(long, value_name = "DIR")]
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
    #[arg(value_name = "OLD_ROLLUP")]
    pub old: PathBuf,
    /// 本期汇总表
    #[arg(value_name = "NEW_ROLLUP")]
    pub new: PathBuf,
    /// 对比表输出文件(xlsx)
    #[arg(long, value_name = "FILE")]
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
