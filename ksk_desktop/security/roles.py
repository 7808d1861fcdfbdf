"""Roles and what each may do. Checked in the core services, not only by hiding buttons."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RECEPTION = "reception"  # lễ tân / điều dưỡng: register, check in, vitals
    DOCTOR = "doctor"  # bác sĩ: exam entry and sign-off
    HEAD = "head"  # trưởng trạm: schedules, printing, reports, station users
    ADMIN = "admin"  # quản trị viên: settings, sync enrolment, users, backups


ROLE_LABELS = {
    Role.RECEPTION: "Lễ tân / Điều dưỡng",
    Role.DOCTOR: "Bác sĩ",
    Role.HEAD: "Trưởng trạm",
    Role.ADMIN: "Quản trị viên",
}


class Perm(StrEnum):
    PERSON_READ = "person.read"
    PERSON_WRITE = "person.write"
    PERSON_MERGE = "person.merge"
    CHECKIN = "checkin"
    VITALS_WRITE = "vitals.write"
    HEALTH_READ = "health.read"
    EXAM_WRITE = "exam.write"
    EXAM_SIGN = "exam.sign"
    SCHEDULE_MANAGE = "schedule.manage"
    PRINT = "print"
    REPORT_READ = "report.read"
    REPORT_SUBMIT = "report.submit"
    USER_MANAGE = "user.manage"
    SETTINGS_MANAGE = "settings.manage"
    SYNC_MANAGE = "sync.manage"
    BACKUP_CREATE = "backup.create"
    BACKUP_RESTORE = "backup.restore"
    AUDIT_READ = "audit.read"
    DEMO_SEED = "demo.seed"


_ALL = frozenset(Perm)

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.RECEPTION: frozenset(
        {Perm.PERSON_READ, Perm.PERSON_WRITE, Perm.CHECKIN, Perm.VITALS_WRITE, Perm.PRINT}
    ),
    Role.DOCTOR: frozenset(
        {
            Perm.PERSON_READ,
            Perm.PERSON_WRITE,
            Perm.CHECKIN,
            Perm.VITALS_WRITE,
            Perm.HEALTH_READ,
            Perm.EXAM_WRITE,
            Perm.EXAM_SIGN,
            Perm.PRINT,
            Perm.REPORT_READ,
        }
    ),
    Role.HEAD: frozenset(
        {
            Perm.PERSON_READ,
            Perm.PERSON_WRITE,
            Perm.PERSON_MERGE,
            Perm.CHECKIN,
            Perm.HEALTH_READ,
            Perm.SCHEDULE_MANAGE,
            Perm.PRINT,
            Perm.REPORT_READ,
            Perm.REPORT_SUBMIT,
            Perm.USER_MANAGE,
            Perm.BACKUP_CREATE,
            Perm.AUDIT_READ,
            Perm.DEMO_SEED,
            Perm.SYNC_MANAGE,
        }
    ),
    # The administrator runs the install; health data stays with the clinical roles, and the reports the station
    # files are signed by its head.
    Role.ADMIN: _ALL
    - {Perm.HEALTH_READ, Perm.EXAM_WRITE, Perm.EXAM_SIGN, Perm.VITALS_WRITE, Perm.REPORT_SUBMIT},
}

PERM_LABELS = {
    Perm.PERSON_READ: "xem danh sách người dân",
    Perm.PERSON_WRITE: "sửa thông tin người dân",
    Perm.PERSON_MERGE: "gộp hồ sơ trùng",
    Perm.CHECKIN: "tiếp đón, check-in",
    Perm.VITALS_WRITE: "nhập chỉ số sinh tồn",
    Perm.HEALTH_READ: "xem kết quả khám",
    Perm.EXAM_WRITE: "nhập phiếu khám",
    Perm.EXAM_SIGN: "ký kết quả khám",
    Perm.SCHEDULE_MANAGE: "lập lịch khám",
    Perm.PRINT: "in ấn",
    Perm.REPORT_READ: "xem báo cáo",
    Perm.REPORT_SUBMIT: "đặt đơn giá, nộp và ký báo cáo",
    Perm.USER_MANAGE: "quản lý người dùng",
    Perm.SETTINGS_MANAGE: "thay đổi cài đặt",
    Perm.SYNC_MANAGE: "quản lý đồng bộ",
    Perm.BACKUP_CREATE: "tạo bản sao lưu",
    Perm.BACKUP_RESTORE: "khôi phục bản sao lưu",
    Perm.AUDIT_READ: "xem và kiểm tra nhật ký truy cập",
    Perm.DEMO_SEED: "tạo dữ liệu mẫu",
}


def parse_role(text: str) -> Role:
    from ksk_desktop.errors import InvalidInput

    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Vai trò không hợp lệ: {text!r}. Chọn một trong: {names}.") from None


def allowed(role: Role | str, perm: Perm) -> bool:
    return perm in PERMISSIONS[Role(role)]
