//! Graph operations: which HTTP call a cmdlet makes.

use mgpresence_domain::{BodyKind, PresenceAction};

/// The Graph API version a module targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    /// The URL segment after the service root (`v1.0`, `beta`).
    pub fn segment(self) -> &'static str {
        match self {
            Self::V1 => "v1.0",
            Self::Beta => "beta",
        }
    }

    /// The noun prefix of the module's cmdlets (`Mg`, `MgBeta`).
    pub fn noun_prefix(self) -> &'static str {
        match self {
            Self::V1 => "Mg",
            Self::Beta => "MgBeta",
        }
    }

    /// The .NET namespace Microsoft's module uses for its models.
    pub fn models_namespace(self) -> &'static str {
        match self {
            Self::V1 => "Microsoft.Graph.PowerShell.Models",
            Self::Beta => "Microsoft.Graph.Beta.PowerShell.Models",
        }
    }

    /// Both versions.
    pub fn all() -> [Self; 2] {
        [Self::V1, Self::Beta]
    }
}

/// The HTTP methods presence operations use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// A path parameter of a resource: its URI-template name, the cmdlet parameter that supplies it, and the
/// `-InputObject` identity property that supplies it in the ViaIdentity sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathParameter {
    pub template_name: &'static str,
    pub parameter: &'static str,
    pub description: &'static str,
}

/// The presence entity as addressed through one navigation path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `/users/{user-id}/presence`
    UserPresence,
}

impl Resource {
    /// The path template in Microsoft's OpenAPI form.
    pub fn path_template(self) -> &'static str {
        match self {
            Self::UserPresence => "/users/{user-id}/presence",
        }
    }

    /// The path parameters, in template order.
    pub fn path_parameters(self) -> &'static [PathParameter] {
        match self {
            Self::UserPresence => &[PathParameter {
                template_name: "user-id",
                parameter: "UserId",
                description: "The unique identifier of user",
            }],
        }
    }
}

/// What a successful response carries, and so what the cmdlet outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// No content: the cmdlet outputs `$true` with -PassThru and nothing otherwise.
    NoContent,
    /// One presence object.
    Presence,
}

/// One Graph operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub method: HttpMethod,
    pub resource: Resource,
    pub action: Option<PresenceAction>,
    pub response: ResponseKind,
}

impl Operation {
    /// The body the operation takes.
    pub fn body(&self) -> Option<BodyKind> {
        self.action.and_then(PresenceAction::body)
    }

    /// The path template the client sends, in the documented form (`/users/{user-id}/presence/setPresence`).
    pub fn path_template(&self) -> String {
        match self.action {
            Some(action) => format!("{}/{}", self.resource.path_template(), action.name()),
            None => self.resource.path_template().to_owned(),
        }
    }

    /// The path in Microsoft's OpenAPI form, with the namespace-qualified action segment
    /// (`/users/{user-id}/presence/microsoft.graph.setPresence`); it appears in -WhatIf text.
    pub fn openapi_path(&self) -> String {
        match self.action {
            Some(action) => format!("{}/microsoft.graph.{}", self.resource.path_template(), action.name()),
            None => self.resource.path_template().to_owned(),
        }
    }
}
