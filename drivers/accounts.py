"""Driver accounts: sign-up confirmed by e-mail, login, password reset (Django's auth views).

Mail goes through the configured backend; the embedded default has none configured
(Django's SMTP to localhost), so it is written to the console instead.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def mail_connection():
    """The configured mail backend, or the console while SMTP is left unconfigured."""
    unconfigured = settings.EMAIL_BACKEND == SMTP and settings.EMAIL_HOST == "localhost"
    if unconfigured and not getattr(settings, "EMAIL_HOST_USER", ""):
        return get_connection("django.core.mail.backends.console.EmailBackend")
    return get_connection()


class SignUpForm(UserCreationForm):
    email = forms.EmailField(label=gettext_lazy("E-mail"))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail exists already."))
        return email


class DriverPasswordResetForm(PasswordResetForm):
    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):  # noqa: E501
        subject = "".join(render_to_text(subject_template_name, context).splitlines())
        body = render_to_text(email_template_name, context)
        EmailMessage(subject, body, from_email, [to_email], connection=mail_connection()).send()


def render_to_text(template: str, context: dict) -> str:
    from django.template.loader import render_to_string

    return render_to_string(template, context)


def _send_confirmation(request, user) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = request.build_absolute_uri(reverse("drivers:confirm", args=[uid, token]))
    body = render_to_text("drivers/email/confirm.txt", {"user": user, "link": link})
    subject = _("Confirm your ChargeNet account")
    EmailMessage(subject, body, None, [user.email], connection=mail_connection()).send()


@require_http_methods(["GET", "POST"])
def signup(request):
    """A new, inactive account; the link in the e-mail activates it."""
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.is_active = False
        user.save()
        _send_confirmation(request, user)
        return render(request, "drivers/signup_sent.html", {"email": user.email})
    return render(request, "drivers/signup.html", {"form": form})


def confirm(request, uidb64: str, token: str):
    users = get_user_model().objects
    try:
        user = users.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, users.model.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "drivers/confirm_failed.html", status=400)
    user.is_active = True
    user.save(update_fields=["is_active"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("drivers:home")


login_view = auth_views.LoginView.as_view(
    template_name="drivers/login.html", next_page=reverse_lazy("drivers:home")
)
password_reset = auth_views.PasswordResetView.as_view(
    template_name="drivers/password_reset.html",
    email_template_name="drivers/email/password_reset.txt",
    subject_template_name="drivers/email/password_reset_subject.txt",
    form_class=DriverPasswordResetForm,
    success_url=reverse_lazy("drivers:password-reset-done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="drivers/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="drivers/password_reset_confirm.html",
    success_url=reverse_lazy("drivers:password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="drivers/password_reset_complete.html"
)
