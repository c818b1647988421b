//! Command-line arguments. They are parsed here and turned into the library's plain configuration structs
//! before any work starts, so the library never sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use taizhang::Period;
use taizhang::commands;

/// 四川省重点消费品质量提升台账:模板生成、报送检查、全省汇总。
#[derive(Debug, Parser)]
#[command(name = "taizhang", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// 参考数据目录:其中的 prefectures.toml、tasks.toml、ledger.toml、template.toml、mail.toml 取代内置的同名文件
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 为各市州生成填报模板(每个市州一个工作簿)
    Template(TemplateArgs),
    /// 检查各市州报送的文件(文件或目录,目录递归),列出问题
    Check(CheckArgs),
    /// 读取各市州报送的文件,合并生成全省汇总表
    Consolidate(ConsolidateArgs),
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
        let mut o = taizhang::batch::BatchOptions::default();
        o.period = self.period;
        if self.timeout.is_finite() && self.timeout > 0.0 {
            o.timeout = std::time::Duration::from_secs_f64(self.timeout);
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
    /// 覆盖已存在的文件
    #[arg(long)]
    pub force: bool,
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
        }
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
        }
    }
}
