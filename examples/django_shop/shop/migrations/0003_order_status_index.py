from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_products")]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status", "placed_at"], name="order_status_placed_idx"),
        ),
        migrations.RunSQL("UPDATE shop_order SET status = 'new' WHERE status = ''"),
    ]
