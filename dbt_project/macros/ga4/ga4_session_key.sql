{#- Surrogate key of a GA4 session: ga_session_id is unique per visitor only, so the key hashes
    user_pseudo_id with it. Every model that needs a session key (web, attribution) uses this. -#}
{% macro ga4_session_key(user_pseudo_id, ga_session_id) -%}
    {{ dbt.hash(dbt.concat([
        user_pseudo_id, "'|'", dbt.safe_cast(ga_session_id, api.Column.translate_type("string"))
    ])) }}
{%- endmacro %}
