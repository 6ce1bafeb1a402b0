//! `tandem usage`: the ledger's figures on the command line, as a table or
//! JSON for scripts.
