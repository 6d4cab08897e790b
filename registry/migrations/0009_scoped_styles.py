from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_package_granted_origins"),
    ]

    operations = [
        migrations.AddField(
            model_name="pluginversion",
            name="scoped_styles_key",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="pluginversion",
            name="scoped_styles_url",
            field=models.URLField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="pluginversion",
            name="scoped_styles_integrity",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
