//! Build tasks: nice-plug-xtask's `bundle`, plus `install`, which bundles Refcan in release
//! and copies `Refcan.clap` and `Refcan.vst3` into the user's plug-in folders.

use anyhow::Result;
use std::path::{Path, PathBuf};

const USAGE: &str = "\
Usage:
  cargo xtask install [--debug] [--prefix DIR] [--clap-dir DIR] [--vst3-dir DIR]
      Bundle Refcan (release unless --debug) and copy Refcan.clap and Refcan.vst3 into the
      user's plug-in folders:
        Linux    ~/.clap, ~/.vst3
        macOS    ~/Library/Audio/Plug-Ins/CLAP, ~/Library/Audio/Plug-Ins/VST3
        Windows  %LOCALAPPDATA%\\Programs\\Common\\CLAP, %LOCALAPPDATA%\\Programs\\Common\\VST3
      --prefix DIR installs into DIR/clap and DIR/vst3 instead (for tests and packaging).
  cargo xtask bundle refcan [--release]
      Build target/bundled/Refcan.clap and target/bundled/Refcan.vst3 (nice-plug-xtask).";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("install") => install(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => nice_plug_xtask::main_with_args("cargo xtask", args),
    }
}

/// Parsed `install` options.
struct InstallOptions {
    release: bool,
    clap_dir: PathBuf,
    vst3_dir: PathBuf,
}

fn parse_install_args(args: &[String]) -> Result<InstallOptions> {
    let mut release = true;
    let mut prefix: Option<PathBuf> = None;
    let mut clap_dir: Option<PathBuf> = None;
    let mut vst3_dir: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<PathBuf> {
            it.next()
                .map(PathBuf::from)
                .ok_or_else(|| anyhow::anyhow!("{name} needs a directory\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--debug" => release = false,
            "--release" => release = true,
            "--prefix" => prefix = Some(value("--prefix")?),
            "--clap-dir" => clap_dir = Some(value("--clap-dir")?),
            "--vst3-dir" => vst3_dir = Some(value("--vst3-dir")?),
            other => anyhow::bail!("unknown install option '{other}'\n\n{USAGE}"),
        }
    }
    let (default_clap, default_vst3) = match &prefix {
        Some(p) => (p.join("clap"), p.join("vst3")),
        None => default_plugin_dirs()?,
    };
    Ok(InstallOptions {
        release,
        clap_dir: clap_dir.unwrap_or(default_clap),
        vst3_dir: vst3_dir.unwrap_or(default_vst3),
    })
}

/// The per-user CLAP and VST3 folders of this operating system.
fn default_plugin_dirs() -> Result<(PathBuf, PathBuf)> {
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .ok_or_else(|| anyhow::anyhow!("${name} is not set; use --prefix DIR"))
    };
    if cfg!(target_os = "windows") {
        let base = env_dir("LOCALAPPDATA")?.join("Programs").join("Common");
        Ok((base.join("CLAP"), base.join("VST3")))
    } else if cfg!(target_os = "macos") {
        let base = env_dir("HOME")?.join("Library/Audio/Plug-Ins");
        Ok((base.join("CLAP"), base.join("VST3")))
    } else {
        let home = env_dir("HOME")?;
        Ok((home.join(".clap"), home.join(".vst3")))
    }
}

fn install(args: &[String]) -> Result<()> {
    let options = parse_install_args(args)?;
    let mut bundle_args = vec!["bundle".to_string(), "refcan".to_string()];
    if options.release {
        bundle_args.push("--release".to_string());
    }
    nice_plug_xtask::main_with_args("cargo xtask", bundle_args)?;

    // `main_with_args` moved us to the workspace root.
    let bundled = Path::new("target").join("bundled");
    for (name, dest_dir) in [
        ("Refcan.clap", &options.clap_dir),
        ("Refcan.vst3", &options.vst3_dir),
    ] {
        let from = bundled.join(name);
        if !from.exists() {
            anyhow::bail!("{} was not built", from.display());
        }
        std::fs::create_dir_all(dest_dir)?;
        let to = dest_dir.join(name);
        remove_existing(&to)?;
        copy_recursive(&from, &to)?;
        println!("Installed {}", to.display());
    }
    Ok(())
}

fn remove_existing(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path)?,
        Ok(_) => std::fs::remove_file(path)?,
        Err(_) => {}
    }
    Ok(())
}

fn copy_recursive(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_recursive(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        std::fs::copy(from, to)?;
    }
    Ok(())
}
