//! Teller: a secure online election service for board elections.
#![forbid(unsafe_code)]

pub mod db;
pub mod domain;
pub mod secrets;
pub mod time;
pub mod store;
pub mod ops;
pub mod scheduler;
pub mod web;
pub mod cli;
