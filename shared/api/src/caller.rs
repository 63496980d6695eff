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
        let sub = claims.get("sub").filter(|s| !s.is_empty())?.clone();
        Some(Caller {
            sub,
            email: claims.get("email").cloned(),
            org_id: claims.get("org_id").filter(|s| !s.is_empty()).cloned(),
            groups: claims
                .get("groups")
                .map(|g| parse_groups(g))
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
