//! Teller: a secure online election service for board elections.
#![forbid(unsafe_code)]

pub mod backup;
pub mod bench;
pub mod cli;
pub mod db;
pub mod domain;
pub mod files;
pub mod i18n;
pub mod mail;
pub mod office;
pub mod ops;
pub mod organisation;
pub mod scheduler;
pub mod secrets;
pub mod store;
pub mod text;
pub mod time;
pub mod web;
