//! The harness itself: a server starts, answers, stops, starts again and is removed when dropped.

#[test]
fn starts_answers_restarts_and_cleans_up() {
    let Some(server) = pg_harness::require_own() else { return };
    let db = server.create_database("harness").unwrap();
    assert_eq!(server.psql(&db, "SELECT 40 + 2").unwrap(), "42");
    server.psql(&db, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)").unwrap();

    server.stop().unwrap();
    assert!(!server.is_running());
    assert!(server.psql(&db, "SELECT 1").is_err(), "a stopped server answers nothing");
    server.restart().unwrap();
    assert_eq!(server.psql(&db, "SELECT v FROM t").unwrap(), "7", "the data outlives a restart");

    let dir = server.dir().to_path_buf();
    drop(server);
    assert!(!dir.exists(), "the directory is removed with the server");
}

#[test]
fn the_shared_server_is_one_per_process() {
    let Some(a) = pg_harness::require() else { return };
    let b = pg_harness::PgServer::shared().unwrap();
    assert_eq!(a.port(), b.port());
    assert_eq!(a.psql("postgres", "SELECT current_user").unwrap(), pg_harness::SUPERUSER);
}
