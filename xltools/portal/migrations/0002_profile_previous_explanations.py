"""Issue 17: a round's province profile and last year's round; the office's reviews of 情况说明."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='round',
            name='profile',
            field=models.CharField(blank=True, max_length=100, verbose_name='地方规则配置'),
        ),
        migrations.AddField(
            model_name='round',
            name='previous',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='portal.round', verbose_name='上年度的轮次'),
        ),
        migrations.CreateModel(
            name='ExplanationReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rule', models.CharField(max_length=64, verbose_name='规则')),
                ('cell', models.CharField(max_length=200, verbose_name='单元格')),
                ('text', models.TextField(verbose_name='情况说明')),
                ('decision', models.CharField(choices=[('accepted', '认可'), ('rejected', '不认可')], max_length=10)),
                ('comment', models.TextField(blank=True, verbose_name='意见')),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('upload', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='explanation_reviews', to='portal.upload')),
            ],
            options={
                'verbose_name': '情况说明审核',
                'verbose_name_plural': '情况说明审核',
                'ordering': ['-at', '-pk'],
            },
        ),
    ]
