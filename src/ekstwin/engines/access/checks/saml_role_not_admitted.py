"""ACC005."""

from __future__ import annotations

from collections.abc import Iterator

from ekstwin.engines.access.sso import assume_with_saml, is_aws_saml_client, parse_role_pair
from ekstwin.engines.checks import Check, CheckContext
from ekstwin.engines.iam import Evaluator
from ekstwin.engines.iam.roles import RoleCatalog
from ekstwin.findings import Confidence, Finding, Severity
from ekstwin.model.platform import Platform
from ekstwin.model.source import ObjectRef, Source


class SamlRoleNotAdmitted(Check):
    """
    ## What it does
    Follows each Keycloak group (and user with a direct grant) that carries a
    client role of an AWS SAML client (`role-arn,saml-provider-arn`) to IAM,
    and reports the ones AWS would refuse: the role or the SAML provider does
    not exist, or the role's trust policy does not allow
    `sts:AssumeRoleWithSAML` from that provider (evaluated with the iam
    engine).

    ## Why is this bad?
    Members of the group see the role offered at sign-in and fail to assume
    it; the mistake usually hides a trust policy that names another identity
    provider (a migration left half done) or a typo in an ARN.

    ## Example
    ```json
    {"Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/okta"},
     "Action": "sts:AssumeRoleWithSAML"}
    ```

    ## Fix
    Make the trust policy name the SAML provider the realm uses, or correct
    the client role's ARNs.

    ## References
    - IAM User Guide: Configuring SAML assertions for the authentication response
    - IAM User Guide: Creating a role for SAML 2.0 federation
    """

    id = "ACC005"
    slug = "saml-role-not-admitted"
    title = "Keycloak group mapped to an AWS role that its trust does not admit"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH

    def run(self, platform: Platform, ctx: CheckContext) -> Iterator[Finding]:
        catalog = RoleCatalog(platform.aws)
        evaluator = Evaluator()
        for realm in platform.realms:
            for client in realm.clients:
                if not is_aws_saml_client(client):
                    continue
                holders: list[tuple[ObjectRef, Source | None, str]] = []
                for top in realm.groups:
                    for g in top.walk():
                        for name in g.client_roles.get(client.client_id, ()):
                            holders.append(
                                (ObjectRef("KeycloakGroup", g.path, realm.name), g.source, name)
                            )
                for u in realm.users:
                    for name in u.client_roles.get(client.client_id, ()):
                        holders.append(
                            (ObjectRef("KeycloakUser", u.username, realm.name), u.source, name)
                        )
                for ref, source, value in holders:
                    pair = parse_role_pair(value)
                    if pair is None:
                        continue
                    result = assume_with_saml(platform.aws, catalog, evaluator, *pair)
                    if result.ok:
                        continue
                    yield self.finding(
                        ref,
                        f"{ref.kind} {ref.name} is offered {pair[0]} through {client.client_id}, "
                        f"but AWS refuses it: {result.reason}",
                        source,
                        evidence=[
                            f"client role {value!r} of {client.client_id}",
                            f"SAML provider {pair[1]}",
                            result.reason,
                        ],
                        fix=f"let the trust policy of {pair[0]} admit {pair[1]}, or fix the ARNs",
                        key=f"{client.client_id}:{value}",
                    )
