-- SCIM 2.0 (RFC 7643): what identity providers keep on Muster's users and command groups
-- that Muster's own model has no field for: the provider's `externalId`, and the enterprise
-- extension's free-text department, division, organization and cost center, and which
-- phone number the provider marked primary.
CREATE TABLE scim_attributes (
    resource_type TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
    resource_id   BLOB NOT NULL,
    org_id        BLOB NOT NULL REFERENCES organizations (id),
    external_id   TEXT,
    department    TEXT,
    division      TEXT,
    organization  TEXT,
    cost_center   TEXT,
    primary_phone TEXT,
    PRIMARY KEY (resource_type, resource_id)
) STRICT;
CREATE INDEX scim_attributes_external_id ON scim_attributes (org_id, resource_type, external_id);
