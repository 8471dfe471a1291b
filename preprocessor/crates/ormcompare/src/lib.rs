//! The book's preprocessor: finds comparison snippets in chapters, keeps their
//! captures fresh, replays the captured SQL on SQLite, checks the snippets'
//! assertions and renders the panels. See DESIGN.md at the repository root.

pub mod bench;
pub mod book;
pub mod capture;
pub mod captures;
pub mod checks;
pub mod config;
pub mod data_files;
pub mod diagnostic;
pub mod files;
pub mod grouping;
pub mod inputs;
pub mod islands;
pub mod kinds;
pub mod layout;
pub mod mdbook;
pub mod pages;
pub mod preload;
pub mod project;
pub mod render;
pub mod replay;
pub mod replay_cache;
pub mod rosetta;
pub mod runner;
pub mod scan;
pub mod syntax;
pub mod targets;
pub mod timing;
pub mod upgrade;
