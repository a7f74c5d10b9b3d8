//! Tests that need PostgreSQL run when `TELLER_TEST_DATABASE_URL` is set at
//! build time; otherwise they are compiled as ignored (reported as such, never
//! as passed).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(teller_pg_tests)");
    println!("cargo::rerun-if-env-changed=TELLER_TEST_DATABASE_URL");
    if std::env::var("TELLER_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=teller_pg_tests");
    }
}
