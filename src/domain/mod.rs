//! The election rules as plain functions over plain types, testable without
//! a database or HTTP: the lifecycle, the election file, the member roll and
//! the voting token.

pub mod brand;
pub mod lifecycle;
pub mod logo;
pub mod password;
pub mod photo;
pub mod picture;
pub mod roles;
pub mod roll;
pub mod spec;
pub mod spreadsheet;
pub mod texts;
pub mod token;
pub mod totp;
