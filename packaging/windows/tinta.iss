; Inno Setup 6 script: a Windows installer around the one-folder app dist\tinta\ (packaging/tinta.spec).
; UNTESTED: written on Linux, never compiled or run on Windows. See packaging/windows/README.md.
;
;   pyinstaller packaging\tinta.spec --noconfirm --distpath dist --workpath build\pyinstaller
;   iscc /DAppVersion=0.1.0 packaging\windows\tinta.iss      -> dist\tinta-0.1.0-setup.exe
;
; Installs per user or for all users (the installer asks), adds a Start menu entry, optionally a desktop icon
; and the command line on PATH, offers Tinta under "Open with" for JPEG, PNG and TIFF, and removes all of it
; on uninstall. Put vc_redist.x64.exe beside this file to have it installed too (see README.md).

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z packaging\windows\tinta.iss
#endif
#define AppDir "..\..\dist\tinta"
#define Exe "tinta-desktop.exe"

[Setup]
AppId={{F80D8202-1C05-42BB-9DD0-7FC859C72B2A}
AppName=Tinta
AppVersion={#AppVersion}
AppVerName=Tinta {#AppVersion}
AppPublisher=Tinta developers
DefaultDirName={autopf}\Tinta
DefaultGroupName=Tinta
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=tinta-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\tinta.ico
UninstallDisplayIcon={app}\{#Exe}
UninstallDisplayName=Tinta {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
ChangesAssociations=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the tinta command line to PATH"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "{#AppDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#if FileExists(AddBackslash(SourcePath) + "vc_redist.x64.exe")
Source: "vc_redist.x64.exe"; DestDir: "{tmp}"; Flags: deleteafterinstall
#endif

[Icons]
Name: "{autoprograms}\Tinta"; Filename: "{app}\{#Exe}"; Comment: "Colorize old black-and-white photos"
Name: "{autodesktop}\Tinta"; Filename: "{app}\{#Exe}"; Tasks: desktopicon

[Registry]
; "Open with > Tinta" for the photo types the app reads; the user's default program stays as it was.
Root: HKA; Subkey: "Software\Classes\Tinta.Photo"; ValueType: string; ValueName: ""; ValueData: "Photo"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Tinta.Photo\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#Exe},0"
Root: HKA; Subkey: "Software\Classes\Tinta.Photo\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#Exe}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\.jpg\OpenWithProgids"; ValueType: string; ValueName: "Tinta.Photo"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.jpeg\OpenWithProgids"; ValueType: string; ValueName: "Tinta.Photo"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.png\OpenWithProgids"; ValueType: string; ValueName: "Tinta.Photo"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tif\OpenWithProgids"; ValueType: string; ValueName: "Tinta.Photo"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.tiff\OpenWithProgids"; ValueType: string; ValueName: "Tinta.Photo"; ValueData: ""; Flags: uninsdeletevalue

[Run]
#if FileExists(AddBackslash(SourcePath) + "vc_redist.x64.exe")
Filename: "{tmp}\vc_redist.x64.exe"; Parameters: "/install /quiet /norestart"; StatusMsg: "Installing the Microsoft Visual C++ runtime..."; Check: IsAdminInstallMode
#endif
Filename: "{app}\{#Exe}"; Description: "{cm:LaunchProgram,Tinta}"; Flags: nowait postinstall skipifsilent

[Code]
{ PATH: the user's (per-user install) or the machine's (all users), edited in place and undone on uninstall. }
function EnvRoot: Integer;
begin
  if IsAdminInstallMode then Result := HKEY_LOCAL_MACHINE else Result := HKEY_CURRENT_USER;
end;

function EnvKey: String;
begin
  if IsAdminInstallMode then Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else Result := 'Environment';
end;

function PathHas(const Paths, Dir: String): Boolean;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0;
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  Paths: String;
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
  begin
    if not RegQueryStringValue(EnvRoot, EnvKey, 'Path', Paths) then Paths := '';
    if not PathHas(Paths, ExpandConstant('{app}')) then
    begin
      if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then Paths := Paths + ';';
      RegWriteExpandStringValue(EnvRoot, EnvKey, 'Path', Paths + ExpandConstant('{app}'));
    end;
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Paths, Dir: String;
  P: Integer;
begin
  if CurUninstallStep <> usPostUninstall then Exit;
  if not RegQueryStringValue(EnvRoot, EnvKey, 'Path', Paths) then Exit;
  Dir := ExpandConstant('{app}');
  Paths := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if P = 0 then Exit;
  Delete(Paths, P, Length(Dir) + 1);
  Paths := Copy(Paths, 2, Length(Paths) - 2);
  RegWriteExpandStringValue(EnvRoot, EnvKey, 'Path', Paths);
end;
