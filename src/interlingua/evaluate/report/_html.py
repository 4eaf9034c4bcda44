"""The report's HTML template (kept in code: the package ships no data files)."""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } th { background: #f3f3f3; }
td.l, th.l { text-align: left; } .pos { color: #1a7a2e; } .neg { color: #b3261e; } .primary { font-weight: bold; }
.headline { font-size: 1.25em; margin: .4em 0; } .muted { color: #777; font-size: 12px; }
img { max-width: 100%; border: 1px solid #eee; } details { margin: .5em 0 1em; }
</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">Generated {{ generated }} by interlingua {{ version }}.</p>
<h2>Runs</h2>
<table><tr><th class="l">#</th><th class="l">task</th><th class="l">space</th><th class="l">data</th>
<th class="l">checksum</th><th class="l">started</th><th>seconds</th><th class="l">file</th></tr>
{% for r in runs %}<tr><td class="l">{{ r.label }}</td><td class="l">{{ r.task }}</td><td class="l">{{ r.space }}</td>
<td class="l">{{ r.data }}</td><td class="l"><code>{{ r.checksum }}</code></td><td class="l">{{ r.started }}</td>
<td>{{ r.seconds }}</td><td class="l">{{ r.file }}</td></tr>
{% endfor %}</table>
{% for t in tasks %}
<h2>{{ t.task }}</h2>
{% for h in t.headlines %}<p class="headline">{{ h }}</p>{% endfor %}
<h3>Metrics</h3>
<table><tr><th class="l">metric</th>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}
{% for d in t.delta_columns %}<th>{{ d }}</th>{% endfor %}</tr>
{% for row in t.metric_rows %}<tr{% if row.primary %} class="primary"{% endif %}><td class="l">{{ row.name }}</td>
{% for v in row.vals %}<td>{{ v }}</td>{% endfor %}
{% for d in row.deltas %}<td class="{{ d.cls }}">{{ d.text }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% for f in t.figures %}<h3>{{ f.title }}</h3><img src="{{ f.src }}" alt="{{ f.title }}">
{% endfor %}
{% if t.lang_rows %}
<details{% if t.lang_rows|length <= 30 %} open{% endif %}><summary>Per language ({{ t.lang_rows|length }} rows, sorted by {{ t.lang_metric }}, best first)</summary>
<table><tr><th class="l">language</th>{% for c in t.lang_columns %}<th>{{ c }}</th>{% endfor %}
{% for d in t.delta_columns %}<th>{{ d }}</th>{% endfor %}</tr>
{% for row in t.lang_rows %}<tr><td class="l">{{ row.name }}</td>{% for v in row.vals %}<td>{{ v }}</td>{% endfor %}
{% for d in row.deltas %}<td class="{{ d.cls }}">{{ d.text }}</td>{% endfor %}</tr>
{% endfor %}</table></details>
{% endif %}
{% endfor %}
<h2>Versions</h2>
{% for r in runs %}<p class="muted">{{ r.label }}: {% for k, v in r.versions.items() %}{{ k }} {{ v }}{% if not loop.last %}, {% endif %}{% endfor %}</p>
{% endfor %}
</body></html>
"""
