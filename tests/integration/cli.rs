//! The command line speaks Chinese: help pages, usage lines and usage errors, with the exit codes scripts
//! rely on (0 for help and version, 2 for a usage error).

use super::common::{stderr, stdout, taizhang};

/// What clap prints on its own in English; none of it may reach an official.
const CLAP_ENGLISH: [&str; 14] = [
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "error:",
    "Print help",
    "Print version",
    "required",
    "argument",
    "For more information",
    "[default",
    "tip:",
    "[OPTIONS]",
    "<COMMAND>",
];

fn assert_chinese(what: &str, text: &str) {
    for word in CLAP_ENGLISH {
        assert!(!text.contains(word), "{what}: clap's English「{word}」in:\n{text}");
    }
}

/// Runs taizhang in a scratch folder and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let o = taizhang(dir.path(), args);
    (o.status.code(), stdout(&o), stderr(&o))
}

#[test]
fn help_pages_are_chinese() {
    // Only options, no command: the help page, on stderr, as a usage error.
    let (code, out, err) = run(&["--refdata", "参考数据"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_chinese("no command", &err);
    for part in ["错误:缺少命令", "用法:taizhang [选项] <命令>", "查看说明:taizhang --help"] {
        assert!(err.contains(part), "no command: {part} missing in\n{err}");
    }

    let (code, out, err) = run(&["--help"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
    assert_chinese("--help", &out);
    for part in ["用法:taizhang [选项] <命令>", "命令:", "选项:", "显示帮助", "显示版本", "对比两期汇总表"] {
        assert!(out.contains(part), "--help: {part} missing in\n{out}");
    }

    let (code, out, _) = run(&["check", "--help"]);
    assert_eq!(code, Some(0));
    assert_chinese("check --help", &out);
    for part in ["用法:taizhang check [选项] <路径>...", "参数:", "选项:", "<路径>...", "--period <期别>", "--timeout <秒>", "默认 10", "显示帮助"] {
        assert!(out.contains(part), "check --help: {part} missing in\n{out}");
    }

    // Every subcommand, short and long form.
    for sub in ["template", "check", "consolidate", "mail", "feedback", "diff"] {
        for flag in ["-h", "--help"] {
            let (code, out, err) = run(&[sub, flag]);
            assert_eq!(code, Some(0), "{sub} {flag}: {err}");
            assert_chinese(&format!("{sub} {flag}"), &out);
            assert!(out.contains(&format!("用法:taizhang {sub} [选项]")), "{sub} {flag}:\n{out}");
        }
    }
    let (_, out, _) = run(&["mail", "--help"]);
    assert!(out.contains("用法:taizhang mail [选项] --contacts <文件> (--outbox <目录> | --smtp <服务器:端口>) (--attachments <目录> | --remind)"), "{out}");
    assert!(!out.contains("--templates"), "the old spelling is a hidden alias: {out}");

    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("taizhang {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_are_chinese_and_exit_2() {
    let cases: [(&[&str], &[&str]); 8] = [
        (&["check"], &["错误:缺少必填的参数或选项:<路径>...", "用法:taizhang check [选项] <路径>...", "查看说明:taizhang check --help"]),
        (&["template", "--period", "2018Q3"], &["错误:缺少必填的选项:--out <目录>", "用法:taizhang template [选项] --period <期别> --out <目录>"]),
        (&["check", "收件箱", "--bogus"], &["错误:无法识别的选项或参数「--bogus」", "用法:taizhang check"]),
        (&["check", "收件箱", "--perod", "2018Q3"], &["无法识别的选项或参数「--perod」", "提示:您要找的选项可能是「--period」"]),
        (&["template", "--period", "2018Q9", "--out", "x"], &["错误:--period <期别> 的值「2018Q9」无效:", "用法:taizhang template [选项] --period <期别> --out <目录>", "查看说明:taizhang template --help"]),
        (&["consolidate", "收件箱", "--out", "a.xlsx", "--timeout", "abc"], &["错误:--timeout <秒> 的值「abc」无效"]),
        (&["mail", "--attachments", "模板", "--contacts", "联系人.xlsx"], &["错误:须指定以下选项之一:--outbox <目录> 或 --smtp <服务器:端口>"]),
        (&["chek", "收件箱"], &["错误:没有「chek」这个命令", "提示:您要找的命令可能是「check」"]),
    ];
    for (args, expected) in cases {
        let (code, out, err) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: nothing on stdout: {out}");
        assert_chinese(&format!("{args:?}"), &err);
        for e in expected {
            assert!(err.contains(e), "{args:?}: {e} missing in\n{err}");
        }
    }
    let (code, _, err) = run(&["help"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("错误:没有「help」这个命令") && err.contains("提示:查看说明请运行 taizhang --help"), "{err}");
    assert_chinese("help", &err);
    // The reference-data option has its own name now; the old spelling before a subcommand says so.
    let (code, _, err) = run(&["--templates", "参考数据", "check", "收件箱"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("无法识别的选项或参数「--templates」") && err.contains("--refdata"), "{err}");
    assert_chinese("--templates", &err);
}

#[test]
fn a_double_click_opens_the_console_on_a_workspace_beside_the_program() {
    use std::io::BufRead;
    // The program as an official keeps it: in a folder of its own, started with no arguments from
    // somewhere else (a desktop shortcut).
    let dir = tempfile::tempdir().unwrap();
    let desk = dir.path().join("软件");
    std::fs::create_dir(&desk).unwrap();
    let exe = desk.join("taizhang");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_taizhang"), &exe).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_taizhang"), &exe).unwrap();
    }
    let elsewhere = dir.path().join("桌面");
    std::fs::create_dir(&elsewhere).unwrap();
    // No browser on this machine: the address is printed for the official to open by hand.
    let mut child = std::process::Command::new(&exe).current_dir(&elsewhere).env_clear().stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.starts_with("http://127.0.0.1:") && first.contains("/?token="), "{first}");
    assert!(desk.join("工作区").is_dir(), "the workspace beside the program");
    assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none(), "nothing where it was started from");
}
