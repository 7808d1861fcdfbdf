; KSK Desktop — Windows installer (NSIS 3, Unicode, Modern UI 2), text in Vietnamese.
;
; Built by installer/build.py on Windows:
;   makensis -INPUTCHARSET UTF8 -DAPP_VERSION=0.1.0 -DBUNDLE_DIR=dist\ksk-desktop -DOUT_FILE=dist\ksk-desktop-0.1.0-setup.exe installer\windows\ksk-desktop.nsi
; BUNDLE_DIR is the PyInstaller onedir bundle (ksk-desktop.exe, ksk.exe, _internal\).
;
; - Per-user install, no administrator rights: %LOCALAPPDATA%\Programs\KSK Desktop, shortcuts for this user only.
; - Upgrade in place: a newer installer finds the old folder (registry), replaces the program files, keeps
;   the data folder (%LOCALAPPDATA%\KSK\KSK Desktop, see ksk_desktop/station/paths.py) untouched; the app
;   migrates the database at the next login, after a backup.
; - The uninstaller removes the program; it removes the station's data only if the box is ticked.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!ifndef APP_VERSION
  !error "APP_VERSION is not defined (makensis -DAPP_VERSION=...)"
!endif
!ifndef BUNDLE_DIR
  !error "BUNDLE_DIR is not defined (makensis -DBUNDLE_DIR=...)"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "ksk-desktop-${APP_VERSION}-setup.exe"
!endif

!define APP_NAME "KSK Desktop"
!define APP_EXE "ksk-desktop.exe"
!define PUBLISHER "KSK"
!define REG_KEY "Software\KSK\KSK Desktop"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\KSKDesktop"
; platformdirs.user_data_dir("KSK Desktop", "KSK", roaming=False) on Windows
!define DATA_DIR "$LOCALAPPDATA\KSK\KSK Desktop"

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\KSK Desktop"
InstallDirRegKey HKCU "${REG_KEY}" "InstallDir"
BrandingText "${APP_NAME} ${APP_VERSION}"

VIProductVersion "${APP_VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${APP_VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "Cài đặt ${APP_NAME}"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PUBLISHER}"

!include "MUI2.nsh"
!include "LogicLib.nsh"

!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_WELCOMEPAGE_TITLE "Cài đặt ${APP_NAME} ${APP_VERSION}"
!define MUI_WELCOMEPAGE_TEXT "Chương trình này cài đặt ${APP_NAME} — phần mềm quản lý khám sức khỏe định kỳ tại trạm y tế — cho tài khoản Windows đang dùng. Không cần quyền quản trị.$\r$\n$\r$\nNếu máy đã có phiên bản cũ, phiên bản mới sẽ được cài đè lên; dữ liệu của trạm được giữ nguyên.$\r$\n$\r$\nHãy đóng ${APP_NAME} (nếu đang mở) trước khi tiếp tục."
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Mở ${APP_NAME} ngay"
!define MUI_UNCOMPONENTSPAGE_TEXT_TOP "Chọn những gì cần gỡ. Dữ liệu của trạm (cơ sở dữ liệu đã mã hóa, khóa, bản sao lưu) được GIỮ LẠI, trừ khi bạn đánh dấu ô bên dưới."

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "Vietnamese"

Section "${APP_NAME}" SecApp
  SectionIn RO
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; Upgrade in place: the old program files go first, so no library of the old version stays behind.
  ; The data folder is elsewhere (${DATA_DIR}) and is not touched.
  ${If} ${FileExists} "$INSTDIR\_internal\*.*"
    DetailPrint "Gỡ các tệp chương trình của phiên bản cũ…"
    RMDir /r "$INSTDIR\_internal"
  ${EndIf}
  File /r "${BUNDLE_DIR}\*.*"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\Gỡ cài đặt ${APP_NAME}.lnk" "$INSTDIR\uninstall.exe"
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}"

  WriteRegStr HKCU "${REG_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${REG_KEY}" "Version" "${APP_VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${APP_VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE}"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
SectionEnd

Section "un.Gỡ chương trình ${APP_NAME}" UnSecApp
  SectionIn RO
  SetShellVarContext current
  Delete "$DESKTOP\${APP_NAME}.lnk"
  RMDir /r "$SMPROGRAMS\${APP_NAME}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\ksk-desktop.exe"
  Delete "$INSTDIR\ksk.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "${REG_KEY}"
SectionEnd

; Unticked by default (/o): the station's data stays unless the person asks for it to go.
Section /o "un.Xóa cả dữ liệu của trạm (không thể hoàn tác)" UnSecData
  MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 "Xóa vĩnh viễn dữ liệu của trạm trong $\r$\n${DATA_DIR}?$\r$\n$\r$\nHãy chắc chắn đã có bản sao lưu. Không thể hoàn tác." /SD IDNO IDYES remove_data
  DetailPrint "Giữ lại dữ liệu của trạm: ${DATA_DIR}"
  Goto data_done
  remove_data:
    RMDir /r "${DATA_DIR}"
    DetailPrint "Đã xóa dữ liệu của trạm."
  data_done:
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecApp} "Gỡ chương trình, lối tắt trên màn hình và trong menu Start."
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "Xóa cơ sở dữ liệu, khóa và bản sao lưu của trạm trong ${DATA_DIR}. Chỉ đánh dấu khi máy không còn dùng cho trạm."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
