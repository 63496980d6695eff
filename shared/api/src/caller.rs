//! The caller, from the JWT claims API Gateway's authorizer (or the local server) verified.

use lambda_http::Request;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub email: Option<String>,
    pub org_id: Option<String>,
    pub groups: Vec<String>,
}

impl Caller {
    /// The signed-in caller, or 401.
    pub fn of(req: &Request) -> Result<Caller, ApiError> {
        Caller::from_request(req).ok_or(ApiError::Unauthenticated)
    }

    fn from_request(req: &Request) -> Option<Caller> {
        let RequestContext::ApiGatewayV2(context) = req.request_context_ref()? else {
            return None;
        };
        let claims = &context.authorizer.as_ref()?.jwt.as_ref()?.claims;
        let claim = |name: &str| claims.get(name).and_then(|v| present(v));
        Some(Caller {
            sub: claim("sub")?,
            email: claim("email"),
            org_id: claim("org_id"),
            groups: claim("groups")
                .map(|g| parse_groups(&g))
                .unwrap_or_default(),
        })
    }

    /// Venue staff of `org_id`.
    pub fn is_admin_of(&self, org_id: &str) -> bool {
        self.org_id.as_deref() == Some(org_id) && self.groups.iter().any(|g| g == "admin")
    }

    /// The org this caller administers, or 403.
    pub fn admin_org(&self) -> Result<&str, ApiError> {
        match &self.org_id {
            Some(org) if self.is_admin_of(org) => Ok(org),
            _ => Err(ApiError::Forbidden(
                "this needs an admin of a venue's organisation",
            )),
        }
    }
}

/// A claim's value, or `None` when it is empty or JSON `null` (which reaches a function as the
/// string `null`, since API Gateway hands every claim over as a string): never a value.
fn present(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty() && value != "null").then(|| value.to_string())
}

/// API Gateway hands array claims over as strings: `[admin staff]`; tokens made by hand may
/// carry JSON (`["admin"]`) or a comma list.
fn parse_groups(raw: &str) -> Vec<String> {
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .split([',', ' '])
        .map(|g| g.trim().trim_matches('"'))
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_read_in_every_form_they_arrive_in() {
        for raw in [
            "[admin staff]",
            "[\"admin\",\"staff\"]",
            "admin,staff",
            "admin staff",
        ] {
            assert_eq!(parse_groups(raw), ["admin", "staff"], "{raw}");
        }
        assert!(parse_groups("[]").is_empty());
    }

    #[test]
    fn empty_and_null_claims_are_absent() {
        for absent in ["", "  ", "null"] {
            assert_eq!(present(absent), None, "{absent:?}");
        }
        assert_eq!(present("org_1").as_deref(), Some("org_1"));
        let caller = Caller {
            sub: "u".into(),
            email: None,
            org_id: present("null"),
            groups: vec!["admin".into()],
        };
        assert!(caller.admin_org().is_err());
    }

    #[test]
    fn admin_means_admin_of_that_org() {
        let caller = Caller {
            sub: "u".into(),
            email: None,
            org_id: Some("org_1".into()),
            groups: vec!["admin".into()],
        };
        assert!(caller.is_admin_of("org_1"));
        assert!(!caller.is_admin_of("org_2"));
        let customer = Caller {
            groups: vec![],
            ..caller
        };
        assert!(customer.admin_org().is_err());
    }
}
