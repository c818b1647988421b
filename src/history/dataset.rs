//! The dataset: every consolidated period as Parquet files that DuckDB, Spark and polars read as they are,
//! hive-partitioned by period, one table a folder:
//!
//! ```text
//! DIR/ledger/period=2018Q3/part-0.parquet        the ledger rows, with provenance
//! DIR/progress/period=2018Q3/part-0.parquet      the task progress
//! DIR/indicators/period=2018Q3/part-0.parquet    the indicator values, province and each prefecture
//! DIR/submissions/period=2018Q3/part-0.parquet   every file received and what became of it
//! ```
//!
//! Column names are the CSV export's. Every period's file of a table has the same columns, so a glob
//! over the periods needs no `union_by_name`: the columns a return adds beyond the ledger's own are kept
//! in one column, 附加列, as a JSON object.
//!
//! Writing a period again replaces its four files and touches no other period's. A crash must leave the
//! old period or the new one, never half of a file or two versions side by side, so the four files are
//! first written whole into a staging folder at the dataset's root (which no table glob reaches), then
//! the staging folder is renamed to mark the commit, and each file is renamed over the old one (one
//! rename each, atomic on every file system taizhang runs on). A commit interrupted between two renames
//! is finished by the next write or read of the dataset; a staging folder never committed is removed.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::period::Period;

/// The tables of the dataset, each a folder.
pub mod tables {
    pub const LEDGER: &str = "ledger";
    pub const PROGRESS: &str = "progress";
    pub const INDICATORS: &str = "indicators";
    pub const SUBMISSIONS: &str = "submissions";
    pub const ALL: [&str; 4] = [LEDGER, PROGRESS, INDICATORS, SUBMISSIONS];
}

/// Column names of the tables beyond those of the CSV export.
pub mod cols {
    /// The extra columns of a row, as a JSON object (null when it has none).
    pub const EXTRAS: &str = "附加列";
    // indicators
    pub const INDICATOR_ID: &str = "指标代码";
    pub const TARGET_VALUE: &str = "目标值";
    pub const VALUE: &str = "完成值";
    pub const EXPECTED: &str = "序时进度";
    pub const STATUS: &str = "状态";
    /// The province's row of the indicators table names this in 填报市州.
    pub const PROVINCE: &str = "全省";
    // submissions
    pub const FILE: &str = "文件";
    pub const PART: &str = "工作表";
    pub const FORMAT: &str = "格式";
    pub const ORIGIN: &str = "来源";
    pub const SENDER: &str = "发件人";
    pub const RECEIVED: &str = "收到时间";
    pub const SHA256: &str = "内容哈希";
    pub const STATED_PERIOD: &str = "文件所写期别";
    pub const FILLED_DATE: &str = "填报日期";
    pub const ADOPTION: &str = "采用情况";
    pub const SUPERSEDED_BY: &str = "替代文件";
    pub const WHY: &str = "未采用原因";
    pub const ERRORS: &str = "错误数";
    pub const WARNINGS: &str = "警告数";
    pub const INFOS: &str = "提示数";
    pub const ROUND: &str = "轮次";
    pub const DEADLINE: &str = "截止日期";
    pub const ENTERPRISES: &str = "企业数";
    pub const TASKS: &str = "任务进展项数";
}

/// The file of a partition.
pub const PART_FILE: &str = "part-0.parquet";
/// The hive key of the partitions.
pub const KEY: &str = "period";
/// Staging folders (being written) and commits (written, being put in place), at the dataset's root.
const STAGING: &str = ".taizhang-写入中-";
const COMMIT: &str = ".taizhang-提交-";
const LOCK: &str = ".taizhang-数据集.lock";

/// Something the dataset could not do.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("数据集文件读写失败({path}):{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("数据集的 Parquet 文件无法写入或读取({path}):{source}")]
    Parquet { path: PathBuf, source: PolarsError },
    /// A partition's file lacks a column the history reads.
    #[error("数据集文件 {path} 缺少「{column}」列,不是 taizhang 写的数据集,或由旧版本写成")]
    Column { path: PathBuf, column: String },
    #[error("数据集 {0} 中没有任何期别")]
    Empty(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io { path: path.to_path_buf(), source }
}

/// The rows of a table: one frame, or parts read one at a time (the merged ledger, return by return,
/// which a national collection never holds in memory at once).
pub enum Rows<'a> {
    Frame(DataFrame),
    Parts {
        /// The table's columns, for a period without rows.
        empty: DataFrame,
        parts: Box<dyn Iterator<Item = PolarsResult<DataFrame>> + 'a>,
    },
}

impl std::fmt::Debug for Rows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rows::Frame(df) => write!(f, "Rows::Frame({} rows)", df.height()),
            Rows::Parts { .. } => f.write_str("Rows::Parts"),
        }
    }
}

/// One period's four tables, ready to be written.
#[derive(Debug)]
pub struct PeriodTables<'a> {
    pub period: Period,
    pub ledger: Rows<'a>,
    pub progress: DataFrame,
    pub indicators: DataFrame,
    pub submissions: DataFrame,
}

/// A dataset folder.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
}

impl Dataset {
    /// Opens the dataset at `root` (created when missing), finishing any commit a crash interrupted.
    ///
    /// # Errors
    /// When the folder cannot be created or a commit finished.
    pub fn open(root: impl AsRef<Path>) -> Result<Self, DatasetError> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root).map_err(io(&root))?;
        let d = Dataset { root };
        let _lock = d.lock()?;
        d.recover()?;
        Ok(d)
    }

    /// Opens an existing dataset for reading.
    ///
    /// # Errors
    /// When `root` is not a folder, or an interrupted commit cannot be finished.
    pub fn open_existing(root: impl AsRef<Path>) -> Result<Self, DatasetError> {
        let root = root.as_ref();
        if !root.is_dir() {
            return Err(DatasetError::Io { path: root.to_path_buf(), source: std::io::Error::new(std::io::ErrorKind::NotFound, "数据集文件夹不存在") });
        }
        Dataset::open(root)
    }

    /// The file of `table` for `period`.
    pub fn partition(&self, table: &str, period: Period) -> PathBuf {
        self.root.join(table).join(format!("{KEY}={}", period.code())).join(PART_FILE)
    }

    /// The periods of the dataset (those with a ledger file), in order.
    pub fn periods(&self) -> Vec<Period> {
        let dir = self.root.join(tables::LEDGER);
        let mut v: Vec<Period> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_string_lossy().strip_prefix(&format!("{KEY}=")).and_then(|p| p.parse().ok()))
                    .filter(|p| self.partition(tables::LEDGER, *p).is_file())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Held while a period is written, so that two writers (the console and a command) take turns.
    fn lock(&self) -> Result<std::fs::File, DatasetError> {
        let path = self.root.join(LOCK);
        let f = std::fs::OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&path).map_err(io(&path))?;
        f.lock().map_err(io(&path))?;
        Ok(f)
    }

    /// Writes `t` as its period, replacing what the dataset held for it. Returns the files written.
    ///
    /// # Errors
    /// When a file cannot be written or renamed; the dataset then holds the period as it was (or, after a
    /// failure between renames, the new files the next open puts in place).
    pub fn write(&self, t: PeriodTables<'_>) -> Result<Vec<PathBuf>, DatasetError> {
        let _lock = self.lock()?;
        self.recover()?;
        let code = t.period.code();
        let staging = tempfile::Builder::new().prefix(&format!("{STAGING}{code}-")).tempdir_in(&self.root).map_err(io(&self.root))?;
        let PeriodTables { period, ledger, progress, indicators, submissions } = t;
        write_rows(&staging.path().join(format!("{}.parquet", tables::LEDGER)), ledger)?;
        for (name, df) in [(tables::PROGRESS, progress), (tables::INDICATORS, indicators), (tables::SUBMISSIONS, submissions)] {
            write_rows(&staging.path().join(format!("{name}.parquet")), Rows::Frame(df))?;
        }
        // The commit: from here on the staged files are complete and the next open puts them in place.
        let commit = self.root.join(format!("{COMMIT}{code}"));
        let staged = staging.keep();
        std::fs::rename(&staged, &commit).map_err(io(&commit))?;
        sync_dir(&self.root);
        self.finish_commit(&commit, period)
    }

    /// Puts the files of a commit in place, one rename each, and removes the commit.
    fn finish_commit(&self, commit: &Path, period: Period) -> Result<Vec<PathBuf>, DatasetError> {
        let mut written = Vec::new();
        for name in tables::ALL {
            let from = commit.join(format!("{name}.parquet"));
            let to = self.partition(name, period);
            if from.is_file() {
                let dir = to.parent().unwrap_or(&self.root);
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                std::fs::rename(&from, &to).map_err(io(&to))?;
                sync_dir(dir);
            }
            written.push(to);
        }
        std::fs::remove_dir_all(commit).map_err(io(commit))?;
        Ok(written)
    }

    /// Finishes the commits a crash interrupted and removes staging folders never committed.
    fn recover(&self) -> Result<(), DatasetError> {
        let Ok(rd) = std::fs::read_dir(&self.root) else { return Ok(()) };
        let mut entries: Vec<(String, PathBuf)> = rd.flatten().map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())).collect();
        entries.sort();
        for (name, path) in entries {
            if let Some(p) = name.strip_prefix(COMMIT).and_then(|c| c.parse::<Period>().ok()) {
                self.finish_commit(&path, p)?;
            } else if name.starts_with(STAGING) && path.is_dir() {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            }
        }
        Ok(())
    }

    /// Reads `table` of `period` (only `columns` when given).
    ///
    /// # Errors
    /// When the file cannot be read, or lacks one of `columns`.
    pub fn read(&self, table: &str, period: Period, columns: Option<&[&str]>) -> Result<DataFrame, DatasetError> {
        let path = self.partition(table, period);
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        let mut reader = ParquetReader::new(file);
        let schema = reader.schema().map_err(|source| DatasetError::Parquet { path: path.clone(), source })?;
        if let Some(c) = columns
            && let Some(missing) = c.iter().find(|n| !schema.contains(n))
        {
            return Err(DatasetError::Column { path, column: (*missing).to_string() });
        }
        reader.with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect())).finish().map_err(|source| DatasetError::Parquet { path, source })
    }
}

/// Rows gathered into one row group before they are written: large enough for readers to scan
/// quickly, small enough that a national ledger is never held whole.
const ROW_GROUP: usize = 128 * 1024;

/// Writes rows as Parquet (zstd, with statistics), flushed to disk before they count as written.
fn write_rows(path: &Path, rows: Rows<'_>) -> Result<(), DatasetError> {
    let pq = |source| DatasetError::Parquet { path: path.to_path_buf(), source };
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut w = std::io::BufWriter::new(file);
    match rows {
        Rows::Frame(mut df) => {
            ParquetWriter::new(&mut w).with_row_group_size(Some(ROW_GROUP)).finish(&mut df).map_err(pq)?;
        }
        Rows::Parts { empty, parts } => {
            let mut batched = ParquetWriter::new(&mut w).batched(empty.schema()).map_err(pq)?;
            let mut pending = empty.clone();
            for part in parts {
                pending.vstack_mut_owned(part.map_err(pq)?).map_err(pq)?;
                if pending.height() >= ROW_GROUP {
                    batched.write_batch(pending.rechunk_mut()).map_err(pq)?;
                    pending = empty.clone();
                }
            }
            if pending.height() > 0 {
                batched.write_batch(pending.rechunk_mut()).map_err(pq)?;
            }
            batched.finish().map_err(pq)?;
        }
    }
    let file = w.into_inner().map_err(|e| DatasetError::Io { path: path.to_path_buf(), source: e.into_error() })?;
    file.sync_all().map_err(io(path))
}

/// Makes a rename in `dir` durable where the system allows it (not on Windows, whose renames are).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
