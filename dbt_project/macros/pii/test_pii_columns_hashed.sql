{#- Fails for every non-null value of a column named like a personal contact field (email,
    phone by default) that is not a SHA-256 hex digest: marts never expose raw contact data.
    Under dbt test/build the column list is read from the built relation, so an undocumented
    column is covered too; a plain compile falls back to the documented columns. -#}
{% test pii_columns_hashed(model, name_pattern='email|phone|mobile') %}
    {%- set pii_columns = [] -%}
    {%- set column_names = [] -%}
    {%- if execute and flags.WHICH in ('build', 'test') -%}
        {#- the built relation: also catches columns nobody documented -#}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- do column_names.append(column.name) -%}
        {%- endfor -%}
    {%- elif execute -%}
        {#- compile without a warehouse connection: the documented columns -#}
        {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') -%}
            {%- if node.alias == model.identifier -%}
                {%- do column_names.extend(node.columns.keys()) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for column_name in column_names -%}
        {%- if modules.re.search(name_pattern, column_name, modules.re.IGNORECASE) -%}
            {%- do pii_columns.append(column_name) -%}
        {%- endif -%}
    {%- endfor %}
    {%- if pii_columns %}
        {%- for column_name in pii_columns %}
    select
        '{{ column_name }}' as column_name,
        cast({{ adapter.quote(column_name) }} as {{ dbt.type_string() }}) as column_value
    from {{ model }}
    where
        {{ adapter.quote(column_name) }} is not null
        and not coalesce(
            {{ is_sha256_hex('cast(' ~ adapter.quote(column_name) ~ ' as ' ~ dbt.type_string() ~ ')') }},
            false
        )
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as column_value
    from {{ model }}
    where 1 = 0
    {%- endif %}
{% endtest %}
