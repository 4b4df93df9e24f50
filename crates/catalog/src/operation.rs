//! Graph operations: which HTTP call a cmdlet makes.

use mgpresence_domain::{BodyKind, GET_PRESENCES_BY_USER_ID, PresenceAction};

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

    /// The .NET namespace of Microsoft's binary cmdlets.
    pub fn cmdlets_namespace(self) -> &'static str {
        match self {
            Self::V1 => "Microsoft.Graph.PowerShell.Cmdlets",
            Self::Beta => "Microsoft.Graph.Beta.PowerShell.Cmdlets",
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

/// A path parameter of a resource: its URI-template name and the cmdlet parameter (and `-InputObject` identity
/// property) that supplies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathParameter {
    pub template_name: &'static str,
    pub parameter: &'static str,
    pub description: &'static str,
}

/// Where an operation is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `/users/{user-id}/presence`
    UserPresence,
    /// `/communications/presences/{presence-id}`
    CommunicationPresence,
    /// `/communications/presences`
    CommunicationPresences,
    /// `/communications`
    Communications,
}

const USER_ID: PathParameter = PathParameter { template_name: "user-id", parameter: "UserId", description: "The unique identifier of user" };
const PRESENCE_ID: PathParameter =
    PathParameter { template_name: "presence-id", parameter: "PresenceId", description: "The unique identifier of presence" };

impl Resource {
    /// The path template in Microsoft's OpenAPI form.
    pub fn path_template(self) -> &'static str {
        match self {
            Self::UserPresence => "/users/{user-id}/presence",
            Self::CommunicationPresence => "/communications/presences/{presence-id}",
            Self::CommunicationPresences => "/communications/presences",
            Self::Communications => "/communications",
        }
    }

    /// The path parameters, in template order.
    pub fn path_parameters(self) -> &'static [PathParameter] {
        match self {
            Self::UserPresence => &[USER_ID],
            Self::CommunicationPresence => &[PRESENCE_ID],
            Self::CommunicationPresences | Self::Communications => &[],
        }
    }
}

/// An action segment after the resource path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// An action bound to `presence`.
    Presence(PresenceAction),
    /// `getPresencesByUserId`, bound to `cloudCommunications`.
    GetPresencesByUserId,
    /// The `$count` segment of a collection.
    Count,
}

impl Action {
    pub fn segment(self) -> &'static str {
        match self {
            Self::Presence(a) => a.name(),
            Self::GetPresencesByUserId => GET_PRESENCES_BY_USER_ID,
            Self::Count => "$count",
        }
    }

    fn is_odata_action(self) -> bool {
        !matches!(self, Self::Count)
    }
}

/// What a successful response carries, and so what the cmdlet outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// No content: the cmdlet outputs `$true` with -PassThru and nothing otherwise.
    NoContent,
    /// One presence object (nothing when the service answers without a body).
    Presence,
    /// A `{"value":[…]}` collection of presences, one output object each; `@odata.nextLink` is followed with -All.
    PresenceCollection,
    /// A number (`$count`).
    Count,
}

/// One Graph operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub method: HttpMethod,
    pub resource: Resource,
    pub action: Option<Action>,
    pub response: ResponseKind,
}

impl Operation {
    /// The body the operation takes.
    pub fn body(&self) -> Option<BodyKind> {
        match (self.action, self.method) {
            (Some(Action::Presence(a)), _) => a.body(),
            (Some(Action::GetPresencesByUserId), _) => Some(BodyKind::GetPresencesByUserId),
            (Some(Action::Count), _) => None,
            (None, HttpMethod::Patch | HttpMethod::Post) => Some(BodyKind::PresenceEntity),
            (None, _) => None,
        }
    }

    /// The path template the client sends, in the documented form (`/users/{user-id}/presence/setPresence`).
    pub fn path_template(&self) -> String {
        match self.action {
            Some(action) => format!("{}/{}", self.resource.path_template(), action.segment()),
            None => self.resource.path_template().to_owned(),
        }
    }

    /// The path in Microsoft's OpenAPI form, with the namespace-qualified action segment
    /// (`/users/{user-id}/presence/microsoft.graph.setPresence`); it appears in -WhatIf text.
    pub fn openapi_path(&self) -> String {
        match self.action {
            Some(action) if action.is_odata_action() => {
                format!("{}/microsoft.graph.{}", self.resource.path_template(), action.segment())
            }
            _ => self.path_template(),
        }
    }
}
