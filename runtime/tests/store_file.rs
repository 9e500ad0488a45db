//! [`FileStore`] beyond the contract: several OS processes on one directory, permissions, damaged files, a
//! lock that is not granted.

mod store_common;

use std::time::Duration;

use cardsdk_runtime::store::{FileStore, SessionStore, StoreError, Version};
use store_common::{child_role, run_children};

/// The entry point of the child processes (run by the tests below, never by itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of the cross-process tests"]
async fn child() {
    let Some((role, index)) = child_role() else { return };
    let store = FileStore::new(std::env::var("STORE_DIR").unwrap()).unwrap();
    match role.as_str() {
        "race" => store_common::child_race(&store, "shared", index, 25).await,
        "leased" => store_common::child_leased(&store, "leased", index, 10).await,
        "die" => store_common::child_die_holding(&store, "dying", Duration::from_millis(800)).await,
        other => panic!("unknown role {other}"),
    }
}

#[tokio::test]
async fn processes_racing_on_one_key_have_one_winner_per_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let lines = run_children("child", "race", 4, &[("STORE_DIR", path)]);
    let store = FileStore::new(dir.path()).unwrap();
    store_common::check_race(&store, "shared", &lines, 4 * 25).await;
}

#[tokio::test]
async fn the_lease_excludes_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let lines = run_children("child", "leased", 4, &[("STORE_DIR", dir.path().to_str().unwrap())]);
    let all: Vec<&String> = lines.iter().flatten().collect();
    assert!(all.iter().all(|l| *l == "DONE"), "a conflict under the lease: {all:?}");
    assert_eq!(all.len(), 40);
    let store = FileStore::new(dir.path()).unwrap();
    assert_eq!(store.load("leased").await.unwrap().version, Version::new(40));
}

#[tokio::test]
async fn a_dead_holders_lease_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let lines = run_children("child", "die", 1, &[("STORE_DIR", dir.path().to_str().unwrap())]);
    assert_eq!(lines, [["TAKEN"]]);
    let store = FileStore::new(dir.path()).unwrap();
    let waited = store_common::take_after_expiry(&store, "dying", Duration::from_secs(5)).await;
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("a/b/sessions");
    let store = FileStore::new(&sessions).unwrap();
    assert_eq!(std::fs::metadata(&sessions).unwrap().permissions().mode() & 0o777, 0o700);
    store.save("user", b"tokens", Version::NONE).await.unwrap();
    assert!(store.try_lease("user", "me", Duration::from_secs(1)).await.unwrap().acquired().is_some());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&sessions).unwrap() {
        let entry = entry.unwrap();
        names.push(entry.file_name().into_string().unwrap());
        assert_eq!(entry.metadata().unwrap().permissions().mode() & 0o777, 0o600, "{:?}", entry.path());
    }
    names.sort();
    assert_eq!(names, ["user.lock", "user.session"], "no temporary file is left");
}

#[tokio::test]
async fn a_damaged_file_is_corrupt_and_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path()).unwrap();
    let path = store.path_for("user").unwrap();
    std::fs::write(&path, br#"{"format": "cardsdk-store-file/1", "key": "user", "version": "rt-SECRET"#).unwrap();
    let err = store.load("user").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("SECRET"), "{err}");
    // A save over a damaged record is refused too (its version is unknown).
    assert!(matches!(store.save("user", b"x", Version::NONE).await, Err(StoreError::Corrupt { .. })));

    // A record moved to another key's name does not load as that key.
    store.save("alice", b"alice's tokens", Version::NONE).await.unwrap();
    std::fs::copy(store.path_for("alice").unwrap(), store.path_for("bob").unwrap()).unwrap();
    assert!(matches!(store.load("bob").await, Err(StoreError::Corrupt { .. })));

    std::fs::write(&path, br#"{"format": "other/9", "key": "user", "version": 1, "payload": null}"#).unwrap();
    assert!(matches!(store.load("user").await, Err(StoreError::Corrupt { .. })));
}

#[tokio::test]
async fn a_lock_not_granted_in_time_is_unavailable() {
    if !std::path::Path::new("/usr/bin/flock").exists() {
        eprintln!("no flock(1): skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path()).unwrap().lock_timeout(Duration::from_millis(200));
    let v1 = store.save("user", b"tokens", Version::NONE).await.unwrap();
    // Another process holds the key's lock (as one stuck mid-change would).
    let lock = dir.path().join("user.lock");
    let mut holder = std::process::Command::new("/usr/bin/flock")
        .arg("--close") // only flock itself holds the lock, not its command
        .arg(&lock)
        .args(["sleep", "3"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let err = store.save("user", b"newer", v1).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(store.try_lease("user", "me", Duration::from_secs(1)).await.unwrap_err().is_unavailable());
    // Reads take no lock.
    assert_eq!(store.load("user").await.unwrap().version, v1);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(store.save("user", b"newer", v1).await.unwrap(), Version::new(2));
}

#[tokio::test]
async fn a_directory_that_cannot_be_made_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"").unwrap();
    assert!(FileStore::new(file.join("sub")).unwrap_err().is_unavailable());
    assert!(FileStore::new(&file).unwrap_err().is_unavailable());
}
