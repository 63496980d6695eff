//! Items of the one table: reading and writing their attributes. Each entity's mapping lives
//! with its queries.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use holdfast_domain::{Currency, Money};

use crate::keys::attr;

/// A stored item was not what this code writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored item {key}: attribute {attribute} {reason}")]
pub struct ItemError {
    pub key: String,
    pub attribute: String,
    pub reason: &'static str,
}

/// One item of the table: attribute name to value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item(pub HashMap<String, AttributeValue>);

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Item {
    pub(crate) fn keyed((pk, sk): (String, String)) -> Item {
        let mut item = Item::default();
        item.put(attr::PK, s(pk));
        item.put(attr::SK, s(sk));
        item
    }

    pub(crate) fn put(&mut self, name: &str, value: AttributeValue) {
        self.0.insert(name.to_string(), value);
    }

    pub(crate) fn put_opt(&mut self, name: &str, value: Option<AttributeValue>) {
        if let Some(value) = value {
            self.put(name, value);
        }
    }

    pub(crate) fn error(&self, attribute: &str, reason: &'static str) -> ItemError {
        let key = [self.0.get(attr::PK), self.0.get(attr::SK)]
            .iter()
            .map(|v| {
                v.and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    .unwrap_or("?")
            })
            .collect::<Vec<_>>()
            .join("/");
        ItemError {
            key,
            attribute: attribute.to_string(),
            reason,
        }
    }

    pub fn string(&self, name: &str) -> Result<&str, ItemError> {
        self.opt_string(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<&str>, ItemError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(self.error(name, "is not a string")),
        }
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, ItemError> {
        self.opt_number(name)?
            .ok_or_else(|| self.error(name, "is missing"))
    }

    pub fn opt_number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ItemError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| self.error(name, "is not a valid number")),
            Some(_) => Err(self.error(name, "is not a number")),
        }
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, ItemError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::Bool(v)) => Ok(Some(*v)),
            Some(_) => Err(self.error(name, "is not a boolean")),
        }
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<bool, ItemError> {
        match self.0.get(name) {
            Some(AttributeValue::Bool(v)) => Ok(*v),
            _ => Err(self.error(name, "is not a boolean")),
        }
    }

    pub(crate) fn strings(&self, name: &str) -> Result<Vec<&str>, ItemError> {
        match self.0.get(name) {
            Some(AttributeValue::L(values)) => values
                .iter()
                .map(|v| {
                    v.as_s()
                        .map(String::as_str)
                        .map_err(|_| self.error(name, "holds a non-string"))
                })
                .collect(),
            _ => Err(self.error(name, "is not a list")),
        }
    }

    pub(crate) fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<T, ItemError> {
        self.string(name)?
            .parse()
            .map_err(|_| self.error(name, "does not parse"))
    }

    pub(crate) fn opt_parsed<T: std::str::FromStr>(
        &self,
        name: &str,
    ) -> Result<Option<T>, ItemError> {
        self.opt_string(name)?
            .map(|v| v.parse().map_err(|_| self.error(name, "does not parse")))
            .transpose()
    }

    pub(crate) fn money(&self, amount: &str, currency: &str) -> Result<Money, ItemError> {
        let currency = Currency::parse(self.string(currency)?)
            .ok_or_else(|| self.error(currency, "is not ISO 4217"))?;
        Ok(Money {
            amount: self.number(amount)?,
            currency,
        })
    }
}
